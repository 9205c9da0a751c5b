# One image for every hub process: `ulak serve` (api), `ulak worker`, `ulak db upgrade`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid, so named volumes created from this image's directories belong to it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin ulak \
 && mkdir -p /var/lib/ulak/models \
 && chown -R ulak:ulak /var/lib/ulak

WORKDIR /opt/ulak
# Sources only (.dockerignore keeps tests, data and virtualenvs out of the context).
# tests/test_install.py builds the wheel from exactly these COPY lines and runs the hub from it.
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY storage ./storage
COPY translation ./translation
RUN pip install . && rm -rf build *.egg-info

USER ulak
ENV ULAK_DATA_DIR=/var/lib/ulak \
    ULAK_MODELS_DIR=/var/lib/ulak/models
EXPOSE 8000
CMD ["ulak", "serve", "--host", "0.0.0.0", "--port", "8000"]
