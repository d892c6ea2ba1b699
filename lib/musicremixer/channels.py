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

# Stereo downmix (left row, right row) of the WAV/SMPTE channel layouts, without the LFE, using
# the usual -3 dB for centre and surrounds.
_H = 0.7071
_DOWNMIX = {
    3: ((1, 0, _H), (0, 1, _H)),  # L R C
    4: ((1, 0, _H, 0), (0, 1, 0, _H)),  # L R Ls Rs
    5: ((1, 0, _H, _H, 0), (0, 1, _H, 0, _H)),  # L R C Ls Rs
    6: ((1, 0, _H, 0, _H, 0), (0, 1, _H, 0, 0, _H)),  # L R C LFE Ls Rs
    7: ((1, 0, _H, 0, 0.5, _H, 0), (0, 1, _H, 0, 0.5, 0, _H)),  # L R C LFE Cs Ls Rs
    8: ((1, 0, _H, 0, _H, 0, _H, 0), (0, 1, _H, 0, 0, _H, 0, _H)),  # L R C LFE Lb Rb Ls Rs
}


def stereo_downmix(channels: int) -> np.ndarray:
    """The ``(2, channels)`` matrix that mixes WAV-ordered channels down to stereo (``channels >= 3``).

    Known layouts (3 to 8 channels) use the ITU-style matrix above; other counts put channel 0
    left, channel 1 right and the rest in both at -3 dB. The sum can pass full scale: callers
    scale the result down if it does.
    """
    if channels in _DOWNMIX:
        return np.array(_DOWNMIX[channels], dtype=np.float32)
    matrix = np.full((2, channels), _H, dtype=np.float32)
    matrix[:, :2] = ((1, 0), (0, 1))
    return matrix
