# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN python scripts/compile_messages.py \
    && DEBUG=0 SECRET_KEY=collectstatic-only EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
       python manage.py collectstatic --noinput \
    && useradd --system --home /app lapor && mkdir -p /app/var && chown lapor /app/var
USER lapor
EXPOSE 8000
CMD ["gunicorn", "lapor.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
