"""The browser plays what ``encode`` writes: Chromium decodes each MP3 bitrate and OGG to exactly the
samples encoded, where they were encoded (a gapless MP3 needs its LAME info tag read; a stepped-down
MP3 must keep its rate). The page is a blank one served beside the audio, so no CSP is in the way.
"""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.encode import encode_audio
from musicremixer.types import Audio

_BLANK = b"<!doctype html><title>decode</title>"

# Decode at the file's own rate (no resampling), and report the length and where the click is.
_DECODE = """
async ([url, sr]) => {
  const data = await (await fetch(url)).arrayBuffer();
  const context = new OfflineAudioContext(1, 1, sr);
  const buffer = await context.decodeAudioData(data);
  const samples = buffer.getChannelData(0);
  let peak = 0;
  for (let i = 1; i < samples.length / 2; i++) if (Math.abs(samples[i]) > Math.abs(samples[peak])) peak = i;
  return { length: buffer.length, rate: buffer.sampleRate, channels: buffer.numberOfChannels, peak };
}
"""


@pytest.mark.parametrize(
    ("fmt", "kbps", "sr", "channels"),
    [
        ("mp3", 128, 44100, 2),
        ("mp3", 96, 44100, 2),  # 6 minutes on Lambda; LAME alone would have made it 32 kHz
        ("mp3", 64, 48000, 2),  # the lowest step; LAME alone: 24 kHz
        ("mp3", 96, 44100, 1),  # 48 kb/s mono: the info tag's frame takes a higher bitrate than the rest
        ("ogg", 128, 44100, 2),
    ],
)
def test_chromium_decodes_exactly_the_samples_encoded(browser, audio_host, fmt, kbps, sr, channels) -> None:
    n = 3 * sr + 777
    # A quiet tone throughout: over digital silence Chromium ended the same Vorbis file 128 samples
    # early (its last packets decode to nothing), which a silent ending never makes audible.
    y = np.tile(0.01 * np.sin(np.arange(n, dtype=np.float32) / 10), (channels, 1))
    y[:, 2000] = 0.8  # a click: it must come back at the same sample
    data = encode_audio(Audio(y=y, sr=sr), format=fmt, mp3_kbps=kbps)
    url = audio_host.add(
        f"/encoded/{kbps}-{sr}-{channels}.{fmt}", data, "audio/mpeg" if fmt == "mp3" else "audio/ogg"
    )
    blank = audio_host.add("/encoded/blank.html", _BLANK, "text/html")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(blank)
        found = page.evaluate(_DECODE, [url, sr])
    finally:
        context.close()
    assert found == {"length": n, "rate": sr, "channels": channels, "peak": 2000}
