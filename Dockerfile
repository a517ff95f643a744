# Modella: web (gunicorn) and workers (qcluster) in one image; run two containers from it.
#   docker build -t modella .
#   docker run -v modella-data:/data -p 8000:8000 -e MODELLA_SECRET_KEY=... modella
#   docker run -v modella-data:/data -e MODELLA_SECRET_KEY=... modella worker
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MODELLA_DATA_DIR=/data MODELLA_STATIC_ROOT=/app/staticfiles MODELLA_DEBUG=0 MODELLA_ALLOWED_HOSTS=*

RUN useradd --create-home --uid 1000 modella && mkdir /data && chown modella /data
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && MODELLA_SECRET_KEY=build-only python manage.py collectstatic --noinput

USER modella
VOLUME /data
EXPOSE 8000
COPY --chmod=755 scripts/docker-entrypoint /usr/local/bin/modella
ENTRYPOINT ["modella"]
CMD ["web"]
