"""Demo-only pages listing the emails the service sent (``/demo/mail``)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Controller, MediaType, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from kinerja_flow.demo.mailcatcher import read_mailbox

_pages = Environment(
    loader=PackageLoader("kinerja_flow.demo", "pages"), autoescape=select_autoescape()
)


def mail_controller(directory: Path) -> type[Controller]:
    class DemoMailController(Controller):
        path = "/demo/mail"
        include_in_schema = False

        @get("/", media_type=MediaType.HTML)
        async def inbox(self) -> str:
            return _pages.get_template("inbox.html").render(messages=read_mailbox(directory))

        @get("/{name:str}", media_type=MediaType.HTML)
        async def message(self, name: FromPath[str]) -> Response[str]:
            for stem, message in read_mailbox(directory):
                if stem == name:
                    html = message.get_body(preferencelist=("html",))
                    text = message.get_body(preferencelist=("plain",))
                    return Response(
                        _pages.get_template("message.html").render(
                            message=message,
                            html=html.get_content() if html is not None else "",
                            text=text.get_content() if text is not None else "",
                        ),
                        media_type=MediaType.HTML,
                    )
            raise NotFoundException()

    return DemoMailController
