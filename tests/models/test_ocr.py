"""PP-OCRv4 through the pool: rendered lines are read back where they were drawn.

Text is rendered with Pillow in a TrueType font of this machine (DejaVu Sans) onto a white
canvas and onto a photo; scikit-image's ``page()`` is a real scanned page. The pure steps of
:mod:`argus.models.ocr_postprocess` are checked with small tables, the empty case included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import skimage.data
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from argus.config import Settings
from argus.models.ocr import PaddleOcr
from argus.models.ocr_postprocess import (
    ctc_greedy_decode,
    db_boxes,
    det_input_size,
    expand_quad,
    order_quad,
    reading_order,
    rec_batch,
    text_like,
)
from argus.models.pool import ModelPool
from argus.vision.boxes import iou_matrix
from argus.vision.detections import Detections

RGB = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]

CJK_FONT_NAMES = ("NotoSansCJK", "NotoSerifCJK", "wqy", "SourceHanSans", "DroidSansFallback")


def latin_font(size: int) -> ImageFont.FreeTypeFont:
    system = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    path = system if system.is_file() else Path(font_manager.findfont("DejaVu Sans"))
    return ImageFont.truetype(str(path), size)


def cjk_font_path() -> Path | None:
    for path in sorted(Path("/usr/share/fonts").rglob("*")):
        if path.suffix.lower() in {".ttf", ".ttc", ".otf"} and any(
            n.lower() in path.name.lower() for n in CJK_FONT_NAMES
        ):
            return path
    return None


def render(
    image: RGB, lines: list[tuple[str, tuple[int, int]]], font: ImageFont.FreeTypeFont, **kw: object
) -> tuple[RGB, list[Box]]:
    """Draw each (text, top-left) onto a copy of ``image``; the image and each text's box."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    boxes: list[Box] = []
    for text, xy in lines:
        draw.text(xy, text, font=font, **kw)  # type: ignore[arg-type]
        boxes.append(tuple(map(float, draw.textbbox(xy, text, font=font))))  # type: ignore[arg-type]
    return np.asarray(canvas, dtype=np.uint8), boxes


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def assert_read(dets: Detections, expected: str, where: Box) -> None:
    """``expected`` was read (at most one character wrong) by a detection overlapping ``where``."""
    texts = list(dets.data["text"])
    best = min(range(len(texts)), key=lambda i: edit_distance(texts[i], expected), default=None)
    assert best is not None, f"nothing read; expected {expected!r}"
    got = texts[best]
    assert edit_distance(got, expected) <= 1, f"read {got!r} for {expected!r}; all: {texts}"
    iou = float(iou_matrix(dets.xyxy[best : best + 1], [where])[0, 0])
    assert iou > 0.6, f"{got!r} at {dets.xyxy[best].tolist()}, drawn at {where} (IoU {iou:.2f})"


@pytest.fixture
def ocr(settings: Settings) -> Iterator[PaddleOcr]:
    pool = ModelPool(settings)
    model = pool.get("ppocr-v4", PaddleOcr)
    yield model
    pool.close()


LINES = [("ARGUS 2026", (40, 30)), ("Hello World", (300, 140)), ("A123BC 77", (60, 250))]


@pytest.mark.slow
def test_lines_on_a_white_canvas_are_read_where_they_were_drawn(ocr: PaddleOcr) -> None:
    white = np.full((360, 640, 3), 255, np.uint8)
    image, boxes = render(white, LINES, latin_font(40), fill=(0, 0, 0))
    dets = ocr.predict([image])[0]
    assert set(dets.labels) == {"text"} and len(dets) == 3, dets.to_list()
    for (text, _), box in zip(LINES, boxes, strict=True):
        assert_read(dets, text, box)
    assert np.all(np.diff(dets.xyxy[:, 1]) > 0)  # reading order: top to bottom
    assert np.all((dets.scores >= ocr.min_text_score) & (dets.scores <= 1))
    for poly, box in zip(dets.data["polygon"], dets.xyxy, strict=True):
        pts = np.asarray(poly)
        assert pts.shape == (4, 2)
        np.testing.assert_allclose(pts.min(axis=0), box[:2], atol=0.1)
        np.testing.assert_allclose(pts.max(axis=0), box[2:], atol=0.1)


@pytest.mark.slow
def test_a_line_drawn_on_a_photo_is_read(ocr: PaddleOcr, astronaut: RGB) -> None:
    lines = [("Hello World", (30, 420)), ("A123BC 77", (280, 20))]
    image, boxes = render(
        astronaut,
        lines,
        latin_font(36),
        fill=(255, 255, 255),
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    dets = ocr.predict([image])[0]
    for (text, _), box in zip(lines, boxes, strict=True):
        assert_read(dets, text, box)


@pytest.mark.slow
def test_chinese_text_is_read(ocr: PaddleOcr) -> None:
    path = cjk_font_path()
    if path is None:
        pytest.skip("no CJK font on this machine (looked for Noto CJK, WenQuanYi, Source Han)")
    white = np.full((200, 640, 3), 255, np.uint8)
    image, boxes = render(
        white, [("居民身份证", (40, 60))], ImageFont.truetype(str(path), 48), fill=(0, 0, 0)
    )
    assert_read(ocr.predict([image])[0], "居民身份证", boxes[0])


@pytest.mark.slow
def test_a_scanned_page_is_read_in_reading_order(ocr: PaddleOcr) -> None:
    page: RGB = skimage.data.page()  # type: ignore[no-untyped-call]  # greyscale
    dets = ocr.predict([page])[0]
    texts = list(dets.data["text"])
    assert "Let us first determine markers of the coins and the" in texts
    assert texts[0] == "Region-based segmentation"
    assert np.all(np.diff(dets.xyxy[:, 1]) > 0)


@pytest.mark.slow
def test_coffee_has_no_text(ocr: PaddleOcr, coffee: RGB) -> None:
    assert ocr.predict([coffee])[0].to_list() == []


@pytest.mark.slow
def test_a_cats_eyes_are_not_text(ocr: PaddleOcr, chelsea: RGB) -> None:
    """The recogniser reads chelsea's eyes as "O" and "D" (0.54, 0.69): lone, unsure glyphs."""
    assert ocr.predict([chelsea])[0].to_list() == []


@pytest.mark.slow
def test_a_clear_single_character_is_still_read(ocr: PaddleOcr) -> None:
    white = np.full((200, 200, 3), 255, np.uint8)
    image, boxes = render(white, [("7", (80, 60))], latin_font(64), fill=(0, 0, 0))
    dets = ocr.predict([image])[0]
    assert list(dets.data["text"]) == ["7"]
    assert_read(dets, "7", boxes[0])  # where it was drawn
    assert dets.scores[0] >= 0.8


@pytest.mark.parametrize(
    ("text", "score", "expected"),
    [
        ("", 0.99, False),
        ("   ", 0.99, False),
        ("O", 0.54, False),  # chelsea's eye
        ("D", 0.79, False),
        ("7", 0.8, True),
        ("中", 0.95, True),
        ("OK", 0.51, True),
        ("A 1", 0.5, True),
    ],
)
def test_text_like_needs_two_glyphs_or_a_sure_one(text: str, score: float, expected: bool) -> None:
    assert text_like(text, score) is expected


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 5, 3), (0, 0, 3)])
def test_tiny_images_give_no_text(ocr: PaddleOcr, shape: tuple[int, int, int]) -> None:
    dets = ocr.predict([np.full(shape, 128, np.uint8)])[0]
    assert len(dets) == 0


@pytest.mark.slow
def test_empty_batch_and_a_batch_reads_like_one_image_at_a_time(
    ocr: PaddleOcr, coffee: RGB
) -> None:
    assert ocr.predict([]) == []
    white = np.full((360, 640, 3), 255, np.uint8)
    image, _ = render(white, LINES, latin_font(40), fill=(0, 0, 0))
    images = [coffee, image, np.zeros((1, 1, 3), np.uint8)]
    batched = [list(d.data["text"]) for d in ocr.predict(images)]
    assert batched == [list(ocr.predict([img])[0].data["text"]) for img in images]
    assert batched[0] == [] and len(batched[1]) == 3 and batched[2] == []


# --- pure post-processing -------------------------------------------------------------------


def test_ctc_decoding_collapses_repeats_and_drops_blanks() -> None:
    chars = ["", "a", "b", " "]

    def probs(*steps: int) -> npt.NDArray[np.float32]:
        p = np.full((1, len(steps), 4), 0.05, np.float32)
        for t, k in enumerate(steps):
            p[0, t, k] = 0.85
        return p

    [(text, conf)] = ctc_greedy_decode(probs(1, 1, 0, 1, 2, 2, 3, 2), chars)
    assert text == "aab b" and conf == pytest.approx(0.85)
    assert ctc_greedy_decode(probs(0, 0, 0), chars) == [("", 0.0)]
    assert ctc_greedy_decode(np.zeros((0, 5, 4), np.float32), chars) == []


@pytest.mark.parametrize(
    ("size", "limit", "kind", "expected"),
    [
        ((640, 360), 736, "min", (1312, 736)),  # short side up to 736, multiples of 32
        ((2000, 1000), 736, "min", (1984, 992)),  # already big enough: only rounded
        ((1, 1), 736, "min", (736, 736)),
        ((3000, 1500), 960, "max", (960, 480)),
        ((10, 10), 960, "max", (32, 32)),  # never below one stride
    ],
)
def test_detector_input_size(
    size: tuple[int, int], limit: int, kind: str, expected: tuple[int, int]
) -> None:
    assert det_input_size(*size, limit, kind) == expected


def test_db_boxes_finds_one_quad_per_blob_and_none_on_an_empty_map() -> None:
    prob = np.zeros((64, 128), np.float32)
    assert db_boxes(prob, (256, 128))[0].shape == (0, 4, 2)
    prob[20:30, 10:60] = 0.9  # a shrunk text kernel
    prob[45:50, 100:102] = 0.9  # too small to be text
    quads, scores = db_boxes(prob, (256, 128))
    assert quads.shape == (1, 4, 2) and 0.7 < scores[0] <= 0.9
    x1, y1 = quads[0].min(axis=0)
    x2, y2 = quads[0].max(axis=0)
    # unclipped around the kernel, then scaled x2 to the destination size
    assert 2 * 10 - 30 < x1 < 2 * 10 and 2 * 60 < x2 < 2 * 60 + 30
    assert 2 * 20 - 30 < y1 < 2 * 20 and 2 * 30 < y2 < 2 * 30 + 30


def test_quads_are_ordered_and_sorted_into_reading_order() -> None:
    shuffled = np.array([[10, 10], [0, 10], [0, 0], [10, 0]], np.float32)
    assert order_quad(shuffled).tolist() == [[0, 0], [10, 0], [10, 10], [0, 10]]

    def quad(x: float, y: float) -> list[list[float]]:
        return [[x, y], [x + 50, y], [x + 50, y + 10], [x, y + 10]]

    quads = np.array([quad(200, 52), quad(0, 100), quad(10, 50), quad(300, 0)], np.float32)
    assert reading_order(quads).tolist() == [3, 2, 0, 1]
    assert reading_order(np.zeros((0, 4, 2), np.float32)).tolist() == []


def test_expand_quad_grows_along_and_across_the_line() -> None:
    q = np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32)
    np.testing.assert_allclose(expand_quad(q, 0, 0), q)
    np.testing.assert_allclose(
        expand_quad(q, 0.1, 0.5), [[-2, -10], [102, -10], [102, 30], [-2, 30]], atol=1e-4
    )
    tall = q[:, ::-1][[0, 3, 2, 1]]  # the same line standing up: 20 wide, 100 high
    grown = expand_quad(np.ascontiguousarray(tall), 0.1, 0.5)
    np.testing.assert_allclose(grown.min(axis=0), [-10, -2], atol=1e-4)


def test_recogniser_batches_are_height_48_and_padded_to_the_widest() -> None:
    crops = [np.zeros((10, 100, 3), np.uint8), np.full((20, 20, 3), 255, np.uint8)]
    batch = rec_batch(crops)
    assert batch.shape == (2, 3, 48, 480)
    assert batch[1, :, :, :48].min() == pytest.approx(1.0)  # white, normalised to 1
    assert np.all(batch[1, :, :, 48:] == 0)  # zero padding on the right
    assert rec_batch([]).shape[0] == 0
