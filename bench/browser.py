"""A minimal browser for the site's WSGI application, called in process.

Unlike Django's test ``Client`` it goes through the real ``WSGIHandler``: CSRF is
enforced (the token comes from the cookie, as a browser form would send it) and
database connections are closed at the end of each request exactly as in
production. One ``Browser`` is one visitor: it keeps its own cookies, so several
can run in threads at once.
"""

import io
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.core.handlers.wsgi import WSGIHandler

_shared_app = None


def wsgi_app():
    """One WSGI handler for the whole process, as a WSGI server would hold."""
    global _shared_app
    if _shared_app is None:
        _shared_app = WSGIHandler()
    return _shared_app


@dataclass
class Response:
    status_code: int
    headers: list
    content: bytes = field(repr=False)

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")


class Browser:
    def __init__(self, host="localhost", app=None):
        self.host = host
        self.app = app or wsgi_app()
        self.cookies = {}

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        data = dict(data)
        # Django accepts the cookie's unmasked secret as the form token.
        data.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
        return self.request("POST", path, data)

    def multipart_body(self, data, files):
        """``(content type, body)`` of a multipart form post, as a browser builds it:
        ``files`` maps a field to ``[(name, bytes), ...]``."""
        boundary = "----benchBoundary7MA4YWxkTrZu0gW"
        data = dict(data)
        data.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
        parts = []
        for key, value in data.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{item}\r\n".encode()
                )
        for key, chosen in files.items():
            for name, content in chosen:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                    f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                )
                parts.append(content)
                parts.append(b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return f"multipart/form-data; boundary={boundary}", b"".join(parts)

    def post_multipart(self, path, data, files):
        content_type, body = self.multipart_body(data, files)
        return self.post_body(path, content_type, body)

    def post_body(self, path, content_type, body):
        return self.request("POST", path, body=body, content_type=content_type)

    def request(self, method, path, data=None, *, body=None, content_type=None):
        parts = urlsplit(path)
        if body is None:
            body = urlencode(data, doseq=True).encode() if data is not None else b""
            content_type = "application/x-www-form-urlencoded" if data is not None else None
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": self.host,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
            environ["CONTENT_LENGTH"] = str(len(body))
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = headers

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            # Closing the response sends request_finished, which closes old connections.
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self._remember_cookies(started["headers"])
        return Response(started["status"], started["headers"], content)

    def _remember_cookies(self, headers):
        for key, value in headers:
            if key.lower() != "set-cookie":
                continue
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
