"""Channel orders: Audio holds multichannel audio in WAV (SMPTE) order; Vorbis has its own for 3 to 8.

One table, and its inverse derived from it, so the decoder and the encoder can't disagree.
"""

from __future__ import annotations

import numpy as np

# VORBIS_TO_WAV[c][k] is the Vorbis channel that holds WAV channel k.
VORBIS_TO_WAV = {
    3: (0, 2, 1),  # L C R            -> L R C
    5: (0, 2, 1, 3, 4),  # L C R Ls Rs      -> L R C Ls Rs
    6: (0, 2, 1, 5, 3, 4),  # L C R Ls Rs LFE  -> L R C LFE Ls Rs
    7: (0, 2, 1, 6, 5, 3, 4),  # L C R Ls Rs Cs LFE -> L R C LFE Cs Ls Rs
    8: (0, 2, 1, 7, 5, 6, 3, 4),  # L C R Ls Rs Lb Rb LFE -> L R C LFE Lb Rb Ls Rs
}
# WAV_TO_VORBIS[c][k] is the WAV channel that goes to Vorbis channel k.
WAV_TO_VORBIS = {c: tuple(int(k) for k in np.argsort(order)) for c, order in VORBIS_TO_WAV.items()}
