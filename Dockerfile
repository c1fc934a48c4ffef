FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in a layer of their own, rebuilt only when pyproject.toml or the pins change.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

# The app itself. Installed editable because migrations/ lives beside bot/, not inside it.
# Compiled here: with PYTHONDONTWRITEBYTECODE (and /app not the app user's to write), every
# `okr-bot` command would otherwise compile all of bot/ again as it starts.
COPY README.md alembic.ini ./
COPY migrations ./migrations
COPY bot ./bot
RUN pip install --no-cache-dir --no-deps --editable . \
    && python -m compileall -q bot migrations \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin okrbot \
    && mkdir /data \
    && chown okrbot /data

USER 10001

# SHUTDOWN_DRAIN_SECONDS: after SIGTERM, /readyz answers 503 this long before the server stops
# taking requests, so the load balancer has stopped sending here (docs/deploy.md).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/okr-bot.db \
    SHUTDOWN_DRAIN_SECONDS=5
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

# The role is the argument: `serve` (Slack and the worker in one process, the default),
# `serve --role web`, `worker`, or `migrate` as a release step before either.
ENTRYPOINT ["okr-bot"]
CMD ["serve"]
