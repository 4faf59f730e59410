"""Notice text is untrusted: it is shown as text, loads nothing, embeds nothing, and cannot make a render
run long."""

import base64
import dataclasses
import io
import signal
import time

import pytest
from pypdf import PdfReader

from notices import pdf
from notices.pdf import context as pdf_context
from notices.pdf import render as pdf_render
from notices.records import LotRecord
from tests.httpserver import Response
from tests.pdf.conftest import BEFORE_DEADLINE, pdf_text, save, seed_record

pytestmark = pytest.mark.django_db

# A 1x1 PNG: if anything fetched it, the PDF would carry an image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def embedded(content: bytes) -> dict:
    """What the PDF carries besides text: attachments, file annotations, images, link targets."""
    reader = PdfReader(io.BytesIO(content))
    found = {"attachments": dict(reader.attachments), "file_annotations": [], "images": [], "uris": []}
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found["attachments"]["<names>"] = True
    for page in reader.pages:
        found["images"] += [image.name for image in page.images]
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                found["file_annotations"].append(annot)
            action = annot.get("/A")
            if action is not None and "/URI" in action.get_object():
                found["uris"].append(str(action.get_object()["/URI"]))
    return found


def test_a_hostile_notice_renders_as_text_and_fetches_nothing(db, http_server):
    image_url = http_server.serve("/x.png", Response(200, PNG, {"Content-Type": "image/png"}))
    css_url = http_server.serve("/x.css", Response(200, b"body{color:red}", {"Content-Type": "text/css"}))
    hostile = (
        f'Tarjoukset <img src="{image_url}"> '
        '<link rel="attachment" href="file:///etc/hostname"> '
        f'<link rel="stylesheet" href="{css_url}"> '
        "<script>alert(1)</script> "
        f'<a rel="attachment" href="{image_url}">liite</a> '
        f'<div style="background: url({image_url})">tausta</div>'
    )
    record = dataclasses.replace(
        seed_record(),
        source_id="http://example.fi/hostile",
        title=f'Hankinta <img src="{image_url}">',
        descriptions={"fi": hostile},
        lots=(LotRecord("LOT-1", f"<script>x</script><img src='{image_url}'>"),),
        links=("javascript:alert(1)", "file:///etc/passwd", image_url, "https://example.fi/docs"),
    )
    notice = save(record)

    _, _, content = pdf.render_summary(notice, "fi", now=BEFORE_DEADLINE)

    assert http_server.requests == []
    found = embedded(content)
    assert found["attachments"] == {} and found["file_annotations"] == [] and found["images"] == []
    # Only http(s) links are clickable; they are links, never fetched while rendering.
    assert "https://example.fi/docs" in found["uris"]
    assert all(uri.startswith(("http://", "https://")) for uri in found["uris"]), found["uris"]
    text = "".join(pdf_text(content).split())  # the markup wraps across lines like any text
    for shown in (
        f'<img src="{image_url}">',
        '<link rel="attachment" href="file:///etc/hostname">',
        "<script>alert(1)</script>",
        "<script>x</script>",
        "javascript:alert(1)",  # shown, not linked
        "file:///etc/passwd",
    ):
        assert "".join(shown.split()) in text, shown


def test_the_fetcher_refuses_the_network_and_the_file_system_even_for_raw_html(http_server):
    """Defence in depth: markup that did reach WeasyPrint still loads nothing but data: URLs."""
    image_url = http_server.serve("/x.png", Response(200, PNG, {"Content-Type": "image/png"}))
    css_url = http_server.serve("/x.css", Response(200, b"p{color:red}", {"Content-Type": "text/css"}))
    html = f"""<html><head>
      <link rel="stylesheet" href="{css_url}">
      <link rel="attachment" href="file:///etc/hostname">
      <link rel="attachment" href="{image_url}">
      <style>@import url("{css_url}"); @font-face {{ font-family: x; src: url("{http_server.base}/f.ttf"); }}
      body {{ background: url("{image_url}"); }}</style></head>
      <body><p style="font-family: x">text</p>
      <img src="{image_url}"><img src="file:///etc/hostname"><img src="summary.css">
      <img src="../../../../../../../../etc/hostname">
      <object data="{image_url}"></object><embed src="{image_url}"><iframe src="{image_url}"></iframe>
      <svg><image href="{image_url}"/></svg>
      <a rel="attachment" href="file:///etc/hostname">a</a></body></html>"""
    content = pdf.html_to_pdf(html)
    assert http_server.requests == []
    found = embedded(content)
    assert found["attachments"] == {} and found["file_annotations"] == [] and found["images"] == []


def test_the_fetcher_serves_data_urls_and_its_own_static_files_only():
    fetcher = pdf_render.fetcher()
    data = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"hello").decode())
    assert data.read() == b"hello"
    own = fetcher.fetch((pdf_render.STATIC_DIR / "summary.css").as_uri())
    assert b"@page" in own.read()
    for url in (
        "file:///etc/hostname",
        (pdf_render.STATIC_DIR / ".." / ".." / ".." / ".." / "tracker" / "settings.py").as_uri(),
        pdf_render.STATIC_DIR.as_uri() + "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tracker/settings.py",
        "file://evil.example/" + str(pdf_render.STATIC_DIR / "summary.css"),
        "http://127.0.0.1/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


def test_a_data_url_image_in_the_template_would_still_work():
    """So the fetcher refuses what it should, not everything."""
    html = f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}" style="width: 1cm">'
    assert len(embedded(pdf.html_to_pdf(html))["images"]) == 1


def test_huge_input_is_capped_and_renders_quickly(db):
    record = dataclasses.replace(
        seed_record(),
        source_id="http://example.fi/huge",
        title="Otsikko " * 2000,
        descriptions={"fi": ("Pitkä kuvaus. " * 80 + "\n") * 1000},  # about 1 MB
        lots=tuple(LotRecord(f"LOT-{i}", "Osa " * 300, ("45000000",) * 50) for i in range(1000)),
        links=tuple(f"https://example.fi/{i}/" + "x" * 5000 for i in range(500)),
    )
    notice = save(record)
    started = time.monotonic()
    content = pdf.render_pdf(notice, "en", BEFORE_DEADLINE)
    elapsed = time.monotonic() - started
    text = " ".join(pdf_text(content).split())
    assert "The description is shortened here" in text and "More lots than fit in a summary" in text
    assert f"LOT-{pdf_context.MAX_LOTS - 1}" in text
    assert len(content) < 3_000_000
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_a_render_that_takes_too_long_is_stopped():
    html = "<table>" + "<tr><td>solu</td><td>toinen solu</td></tr>" * 20000 + "</table>"
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(pdf.RenderTimeout, match="longer than 0.3 s"):
        pdf.html_to_pdf(html, timeout=0.3)
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_render_leaves_the_garbage_collector_as_it_was():
    import gc

    before = gc.get_threshold()
    pdf.html_to_pdf("<p>x</p>")
    with pytest.raises(pdf.RenderTimeout):
        pdf.html_to_pdf("<p>x</p>" * 50000, timeout=0.05)
    assert gc.get_threshold() == before and gc.isenabled()
