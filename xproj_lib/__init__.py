"""xproj: projection-based data transfer for cross-lingual NER."""
from .types import Alignment, ParallelPair, Sentence, Span

__all__ = ["Alignment", "ParallelPair", "Sentence", "Span"]
__version__ = "0.1.0"
