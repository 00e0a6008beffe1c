"""`argus collections train|list`: per-tenant collection classifiers from the command line.

``train ID --json FILE`` takes seed 003's training data (a JSON list of ``{embedding, label}``,
extra keys such as ``photo_id`` ignored; like the seed's script, JSON wrapped in an HTML page is
found inside it); ``train ID --folder DIR`` embeds the images of
``DIR/in/`` (or ``true``, ``yes``, ``positive``) and ``DIR/out/`` (``false``, ``no``,
``negative``) with the collection's embedding model, which must be pulled.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import track

if TYPE_CHECKING:
    from argus.config import Settings


app = typer.Typer(help="Train and list collection classifiers.", no_args_is_help=True)
console = Console()
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
_JSON_IN_TEXT = re.compile(r"(\[.*\]|\{.*\})", re.DOTALL)


def read_training_data(text: str) -> Any:
    """The JSON in ``text``, also when a page wraps it in HTML (seed 003's training endpoint
    sometimes did: its script took the outermost ``[...]`` or ``{...}``)."""
    try:
        return json.loads(text)
    except ValueError:
        match = _JSON_IN_TEXT.search(text)
        if match is None:
            raise
        try:
            return json.loads(match.group(1))
        except ValueError:
            return json.loads(html.unescape(match.group(1)))


def _from_folder(folder: Path, embedding: str, settings: Settings) -> tuple[list[Any], list[bool]]:
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.imaging import decode
    from argus.models.tasks import ImageEmbedder
    from argus.pipelines.collections import parse_label

    files: list[tuple[Path, bool]] = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            label = parse_label(sub.name)
        except ArgusError:
            continue
        files += [(f, label) for f in sorted(sub.rglob("*")) if f.suffix.lower() in IMAGE_SUFFIXES]
    name = settings.analysis.dino_model if embedding == "dino_v2" else settings.analysis.clip_model
    model = compose.model_pool(settings).get(name, ImageEmbedder)
    vectors, labels = [], []
    for path, label in track(files, description="embedding", console=console):
        picture = decode(path.read_bytes(), settings.imaging)
        vectors.append(model.predict_one(picture.pixels))
        labels.append(label)
    return vectors, labels


@app.command()
def train(
    collection_id: int = typer.Argument(..., help="Collection id (an integer, as in seed 003)."),
    json_file: Path | None = typer.Option(None, "--json", help="[{embedding, label}, ...]"),
    folder: Path | None = typer.Option(None, "--folder", help="DIR with in/ and out/ images."),
    embedding: str = typer.Option("clip", help="clip or dino_v2."),
    tenant: str = typer.Option("default", help="Tenant owning the collection."),
) -> None:
    """Train a new version; the best version on the held-out split is served."""
    from argus.compose import services as compose
    from argus.errors import ArgusError

    settings = compose.load_settings()
    if (json_file is None) == (folder is None):
        raise typer.BadParameter("give exactly one of --json and --folder")
    if embedding not in ("clip", "dino_v2"):
        raise typer.BadParameter("choose clip or dino_v2", param_hint="--embedding")
    try:
        if json_file is not None:
            rows = read_training_data(json_file.read_text(encoding="utf-8"))
            vectors = [r["embedding"] for r in rows]
            labels: list[Any] = [r["label"] for r in rows]
        else:
            assert folder is not None
            vectors, labels = _from_folder(folder, embedding, settings)
        report = compose.collection_store(settings).train(
            tenant, collection_id, vectors, labels, embedding=embedding
        )
    except ArgusError as exc:
        console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(2) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        console.print(f"[red]error[/red]: cannot read the training data: {exc}")
        raise typer.Exit(2) from exc
    best = report.scores[report.best_version]
    console.print(
        f"collection {collection_id}: trained {report.version} on {report.samples} samples "
        f"({report.dimensionality}-d {report.embedding}); best {report.best_version}, "
        f"macro precision {best} on {report.test_samples} held-out samples"
    )


@app.command("list")
def list_collections(tenant: str = typer.Option("default", help="Tenant.")) -> None:
    """Collections of a tenant with their best version."""
    from argus.compose import services as compose

    for m in compose.collection_store(compose.load_settings()).list(tenant):
        console.print(
            f"{m['collection_id']}: {m['embedding']} {m['dimensionality']}-d, best {m['best']} "
            f"({len(m['versions'])} versions)"
        )
