"""Short paragraphs of the brief, generated from the figures in the style of the city's reply
to suggestion No. 348 (contract/reply-348-2023.txt)."""

from __future__ import annotations

from retention.release import formatting as fmt
from retention.release.pack_data import PackData


def period(quarter: str) -> str:
    """2023Q4 -> 2023年 (the whole year); 2024Q2 -> 2024年1—6月."""
    year, q = quarter[:4], int(quarter[-1])
    return f"{year}年" if q == 4 else f"{year}年1—{3 * q}月"


def up_to(quarter: str) -> str:
    """截至2023年 / 截至2024年6月底."""
    year, q = quarter[:4], int(quarter[-1])
    return f"截至{year}年" if q == 4 else f"截至{year}年{3 * q}月底"


def _known(*values: object) -> bool:
    return all(v is not None for v in values)


def paragraphs(data: PackData) -> list[str]:
    v = data.value
    when = period(data.quarter)
    out = []
    intake = v("graduate_intake", "ytd")
    rate = v("graduate_intake_completion_rate", "ytd")
    rank = v("graduate_intake_rank", "ytd")
    if _known(intake, rate, rank):
        out.append(
            f"{when}，我市共接收高校毕业生{fmt.count(intake, '人')}，完成率{fmt.percent(rate)}，"
            f"排名宁波市{fmt.place(int(rank))}。"
        )
    elif intake is not None:
        out.append(f"{when}，我市共接收高校毕业生{fmt.count(intake, '人')}。")
    talent, children = v("talent_subsidy_amount", "ytd"), v("talent_child_enrollments", "ytd")
    if _known(talent, children):
        out.append(
            f"{when}兑现人才项目资助、购房补贴、安家补助、租房补贴等人才政策资金"
            f"{fmt.money(talent)}，帮助{fmt.count(children, '名')}人才解决子女入学问题。"
        )
    amount = v("employment_subsidy_amount", "ytd")
    enterprise_times = v("employment_subsidy_enterprise_times", "ytd")
    graduate_times = v("employment_subsidy_graduate_times", "ytd")
    if _known(amount, enterprise_times, graduate_times):
        out.append(
            f"{when}发放中小微企业吸纳高校毕业生社保补贴、高校毕业生就业补贴、一次性扩岗补助、"
            f"实践补贴及交通补助、就业见习补贴、基层岗位补贴等政策共计{fmt.money(amount)}，"
            f"涉及企业{fmt.count(enterprise_times, '家次')}，"
            f"惠及大学生{fmt.count(graduate_times, '人次')}。"
        )
    units = v("rental_housing_units", "cumulative")
    households = v("public_rental_households", "cumulative")
    apartments = v("talent_apartments_sold", "cumulative")
    if _known(units, households, apartments):
        out.append(
            f"{up_to(data.quarter)}，累计筹集保障性租赁住房房源达到{fmt.wan(units, '套')}，"
            f"保障外来务工人员家庭{fmt.count(households, '户')}，"
            f"累计销售人才公寓{fmt.count(apartments, '套')}。"
        )
    students = v("industry_program_students", "cumulative")
    if students is not None:
        out.append(f"深度参与各产教融合平台的学生达{fmt.count(students, '人')}。")
    positions, youth = v("practice_positions", "cumulative"), v("practice_youth", "cumulative")
    if _known(positions, youth):
        out.append(
            f"“家燕归巢”大学生社会实践营平台累计提供实践岗位{fmt.more_than(positions, 100, '个')}、"
            f"服务实践青年{fmt.more_than(youth, 1000, '名')}。"
        )
    new_bases, active = v("internship_bases_new", "ytd"), v("internship_bases_active", "as_of")
    if _known(new_bases, active):
        out.append(
            f"{when}我市新增实践（见习）基地{fmt.count(new_bases, '家')}，目前共有有效见习基地"
            f"{fmt.count(active, '家')}。"
        )
    coverage = v("unemployed_support_coverage_rate", "as_of")
    if coverage is not None:
        reached = (
            "实现离校未就业毕业生帮扶全覆盖" if coverage >= 1 else "离校未就业毕业生帮扶覆盖率"
        )
        out.append(f"{reached}（帮扶覆盖率{fmt.percent(coverage)}）。")
    year = int(data.quarter[:4])
    cohorts = [
        f"{cohort}届{fmt.percent(rate)}"
        for cohort in (year, year - 1)
        if (rate := v("local_college_retention_rate", "cohort", cohort_year=cohort)) is not None
    ]
    if cohorts:
        out.append(f"宁波大学科学技术学院毕业生留慈率：{'，'.join(cohorts)}。")
    return out
