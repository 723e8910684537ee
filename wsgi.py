"""The WSGI entry point for a production server: `gunicorn -w 2 -b 127.0.0.1:5000 wsgi:app`."""

from consult import create_app

app = create_app()
