# The deployment image: Airflow 3.3.2 with this project installed from its lock file.
FROM apache/airflow:3.3.2-python3.11

USER root
# WeasyPrint draws the PDF brief with Pango and embeds its fonts with HarfBuzz's subsetter
# (without it, fontTools: the brief's four CJK faces then take seconds more).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
USER airflow

WORKDIR /opt/retention
COPY --chown=airflow pyproject.toml uv.lock README.md ./
COPY --chown=airflow src ./src
RUN pip install --no-cache-dir uv==0.13.8 \
    && uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && pip install --no-cache-dir --no-deps -e .
ENV RETENTION_HOME=/opt/retention
# The brief's fonts, as `make setup` installs them (retention.release.fonts)
ENV RETENTION_FONTS=/opt/retention/fonts
RUN python -m retention.release.fonts
