"""xproj: projection-based data transfer for cross-lingual NER."""
import warnings

from .paths import portable_logs
from .types import Alignment, ParallelPair, Sentence, Span

__all__ = ["Alignment", "ParallelPair", "Sentence", "Span"]
__version__ = "0.1.0"

portable_logs()  # log messages name $XPROJ_CACHE_DIR / $XPROJ_DATA_DIR, not this machine's folders
# notebooks have no ipywidgets: tqdm falls back to text bars, and its warning would name the venv's folder
warnings.filterwarnings("ignore", message="IProgress not found")
