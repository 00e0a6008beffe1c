"""Settings of seed 003's per-image task list: URL fetching, models, collections, captions."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AnalysisSettings(BaseModel):
    """Seed 003's per-image task list: URL fetching (SSRF guard), models, collections."""

    fetch_connect_timeout_s: float = Field(
        5.0, description="Seconds to wait for a TCP/TLS connection to an image URL."
    )
    fetch_timeout_s: float = Field(
        10.0,
        description="Seconds one image URL may take in total, redirects and body included "
        "(seed 003 used 10 s).",
    )
    fetch_max_redirects: int = Field(5, description="Redirects followed, each one re-checked.")
    fetch_allowed_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs image URLs may reach although they are loopback, private, "
        "link-local or cloud-metadata addresses (refused by default), e.g. ['10.0.0.0/8'].",
    )
    fetch_user_agent: str = Field(
        "Argus-ImageAnalysis/1.0", description="User-Agent sent when fetching image URLs."
    )
    clip_model: str = Field(
        "clip-vit-b-32", description="Model behind embed_clip_vit_b_32 (512-d) and classify."
    )
    dino_model: str = Field("dinov2-base", description="Model behind embed_dino_v2 (768-d).")
    face_model: str = Field(
        "centerface",
        description="Face detector for prominent_face, detect_faces and estimate_age_gender "
        "(dlib-hog-face answers when it is not installed).",
    )
    face_min_score: float = Field(
        0.4,
        description="Faces scoring below this are not used by the task list (CenterFace's own "
        "0.2, kept for anonymization, finds a 0.25 'face' in a JPEG of the Hubble deep field).",
    )
    person_models: list[str] = Field(
        default_factory=lambda: ["nanodet-coco"],
        description="Person detectors tried for prominent_person (catalog names).",
    )
    person_min_score: float = Field(
        0.6,
        description="A person box scoring at least this is a person on its own; a weaker one "
        "only with the prominent face inside it (NanoDet calls a cat 'person' at up to 0.59).",
    )
    max_collection_versions: int = Field(
        10, description="Trained versions kept per collection (best by macro precision)."
    )
    max_tasks: int = Field(
        32,
        ge=1,
        description="Most tasks in one task list (413 above, before the image is fetched or "
        "decoded): each task may run a model.",
    )
    auraface_model: str = Field(
        "auraface-v1",
        description="Face recogniser behind embed_auraface (512-d, L2-normalised; ArcFace-style).",
    )
    caption_model: str = Field(
        "vit-gpt2-captioning",
        description="Pulled captioning model behind describe_image; when it is not installed, "
        "the LLM providers of `classify.providers` caption instead.",
    )
    caption_max_length: int = Field(
        300,
        description="describe_image's default max_length in tokens (seed 003's code default; "
        "its README said 50, which `argus caption-folder` still uses).",
    )
    caption_max_length_limit: int = Field(
        1024, description="Largest max_length a describe_image task may ask for, in tokens."
    )
    caption_prompt: str = Field(
        "Describe this image in one sentence.",
        description="Prompt sent to an LLM provider for describe_image.",
    )
