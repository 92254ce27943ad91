"""Build an aligner by name with a profile's default encoder and layer."""
from __future__ import annotations

from typing import Any

from xproj_lib.align.awesome import AwesomeAligner
from xproj_lib.align.base import Aligner
from xproj_lib.align.eflomal_aligner import EflomalAligner
from xproj_lib.align.simalign_aligner import SimAlignAligner
from xproj_lib.encoder import ensure_e5_small
from xproj_lib.models import resolve_model

ALIGNERS = ("simalign", "awesome", "eflomal")
PROFILES = ("offline", "paper")
PAPER_ENCODER = "bert-base-multilingual-cased"
PAPER_LAYER = 8  # awesome-align / SimAlign default, used by the paper
E5_LAYER = 7  # best mean projection F1 on the Europarl dev slice (first 200 pairs); docs/aligners.md


def default_encoder(profile: str) -> str:
    """The encoder of a profile: the converted e5-small folder offline, mBERT for the paper profile.

    The paper profile raises :class:`xproj_lib.models.ModelUnavailableError` when mBERT is neither
    cached nor downloadable.
    """
    if profile == "offline":
        return str(ensure_e5_small())
    if profile == "paper":
        return resolve_model(PAPER_ENCODER)
    raise ValueError(f"unknown profile {profile!r}; choose from {PROFILES}")


def default_layer(profile: str) -> int:
    """The alignment layer of a profile's default encoder."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {PROFILES}")
    return E5_LAYER if profile == "offline" else PAPER_LAYER


def build_aligner(kind: str, *, profile: str = "offline", model: str | None = None,
                  layer: int | None = None, **options: Any) -> Aligner:
    """An aligner of ``kind`` (``simalign``, ``awesome`` or ``eflomal``).

    Neural aligners use ``model`` (hub id or folder) or the profile's default encoder, and ``layer``
    or the profile's default layer (only valid with the default encoder). ``options`` go to the
    aligner class (e.g. ``method`` for SimAlign, ``symmetrization`` for eflomal).
    """
    if kind == "eflomal":
        if model is not None or layer is not None:
            raise ValueError("eflomal uses no encoder: do not pass model or layer")
        return EflomalAligner(**options)
    if kind not in ALIGNERS:
        raise ValueError(f"unknown aligner {kind!r}; choose from {ALIGNERS}")
    if layer is None:
        if model is not None:
            raise ValueError("pass layer= with a non-default model (the profile layer fits its own encoder)")
        layer = default_layer(profile)
    encoder = model if model is not None else default_encoder(profile)
    cls = SimAlignAligner if kind == "simalign" else AwesomeAligner
    return cls(encoder, layer=layer, **options)
