"""generate(): the whole landing folder of synthetic department files, deterministically."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retention.contract import Feed, default_contract
from retention.sample import (
    college,
    housing,
    intake,
    internships,
    ledger,
    subsidies,
    talents,
    youth,
)
from retention.sample.batches import Batch
from retention.sample.context import Context
from retention.sample.layout import created, file_name, style
from retention.sample.writers import Style, write_file


def build(scale: int = 1) -> list[Batch]:
    """Every file's rows, in dependency order: who people are comes before what they receive."""
    if scale < 1:
        raise ValueError("scale must be a positive integer")
    ctx = Context(scale)
    students = college.make_students(ctx)
    batches: list[Batch] = college.roster_batches(students)
    batches += college.industry_programme(ctx, students)
    retention = college.choose_retention(ctx, students)
    book = ledger.make_ledger(ctx, students, retention)
    excluded = book.local_student[book.local_student >= 0]
    mask = np.zeros(len(students), bool)
    mask[excluded] = True
    late_idx, late_dates = college.late_retention(ctx, students, retention, mask)
    local = (
        np.concatenate([retention.student, late_idx]),
        np.concatenate([retention.received_on, late_dates]),
    )
    received = intake.make_intake(ctx, students, local, book)
    batches += intake.intake_batches(received)
    batches += intake.district_batches(ctx, received)
    batches += ledger.ledger_batches(book)
    bases = internships.make_bases(ctx)
    batches += internships.base_batches(ctx, bases)
    positions = youth.make_positions(ctx)
    participants = youth.make_participants(ctx, positions, students)
    batches += youth.position_batches(positions)
    batches += youth.participant_batches(participants)
    people = talents.make_talents(ctx)
    batches += talents.child_enrollment_batches(ctx, people)
    batches += housing.apartment_batches(ctx, people, received)
    batches += housing.rental_project_batches(ctx)
    batches += housing.public_rental_batches(ctx)
    payments = subsidies.make_payments(ctx, received, bases, participants, people)
    batches += subsidies.payment_batches(ctx, payments)
    return batches


@dataclass(frozen=True)
class _Job:
    batch: Batch
    feed: Feed
    target: Path
    style: Style
    created: dt.datetime

    @property
    def cost(self) -> int:
        # xlsxwriter writes a cell some 30 times slower than the csv module.
        return len(self.batch) * len(self.feed.columns) * (30 if self.style.fmt == "xlsx" else 1)


_JOBS: list[_Job] = []  # what forked workers inherit; only indices cross process boundaries


def _run(index: int) -> Path:
    job = _JOBS[index]
    return write_file(job.target, job.feed, job.batch.rows, job.style, job.created)


def write_batches(out: Path, batches: list[Batch], workers: int = 1) -> list[Path]:
    """Write every batch's file; with workers > 1, in forked processes (largest files first).

    Each file depends only on its own rows, so the bytes are the same either way.
    """
    global _JOBS
    contract = default_contract()
    jobs = []
    for batch in batches:
        feed = contract.feeds[batch.feed]
        s = style(contract, batch)
        jobs.append(
            _Job(batch, feed, out / feed.department / file_name(batch, s.fmt), s, created(batch))
        )
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        return sorted(write_file(j.target, j.feed, j.batch.rows, j.style, j.created) for j in jobs)
    _JOBS = jobs
    try:
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)
        with mp.get_context("fork").Pool(workers) as pool:
            return sorted(pool.imap_unordered(_run, order, chunksize=1))
    finally:
        _JOBS = []


def generate(out: Path, scale: int = 1) -> list[Path]:
    """Write the sample landing folder (out/<department>/<file>) and return the files written.

    Scales above 1 (benchmark data) write with one process per core, at most two.
    """
    batches = build(scale)
    workers = 1 if scale == 1 else max(1, min(2, os.cpu_count() or 1))
    return write_batches(Path(out), batches, workers)
