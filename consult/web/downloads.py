"""Sending a stored file back: always as a download, with the type its content was checked to be.

The browser is never asked to render an upload inline: `Content-Disposition: attachment`, the
checked Content-Type, `nosniff`, and a sandboxing Content-Security-Policy in case a client ignores
the rest. The ETag is the content's SHA-256.
"""

from __future__ import annotations

import io

from flask import Response, send_file

from consult.meetings.attachment_models import Attachment
from consult.meetings.attachments import content_of

#: No script, no plugin, no same-origin access, even if something renders the file.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def attachment_response(attachment: Attachment) -> Response:
    response = send_file(
        io.BytesIO(content_of(attachment)),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=attachment.sha256,
        max_age=0,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-cache"
    return response
