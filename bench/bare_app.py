"""The anchor of bench/speed.py: the cheapest JSON endpoint Litestar can serve here."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([hello])
