"""The WSGI entry point for a production server: `gunicorn -w 2 -b 127.0.0.1:5000 wsgi:app`."""

import gc

from consult import create_app
from consult.web.warm_up import warm_up

app = create_app()
warm_up(app)  # the first readers of each worker do not wait for templates and catalogues

# The objects made at start-up (modules, the app, its routes and templates) live as long as the
# process: keep the garbage collector from walking them again at every full collection (a
# ballot in the rush, a 400-row PDF). Each gunicorn worker imports this module itself.
gc.freeze()
