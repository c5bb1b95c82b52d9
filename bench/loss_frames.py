#!/usr/bin/env python3
"""Frames clean and frames decoded of one recording (bench/loss.sh, issue 12).

The recording (what a viewer received, not re-encoded) is decoded once with ffprobe, one thread,
with the decoder's log attached to the frame it belongs to (`-show_log`). From the first keyframe
on, a frame is *damaged* when the decoder logged an error or warning for it or for any frame since
the last keyframe (error concealment of missing slices included), or a reference frame was missing (the decoder's "Frame num gap"), or pictures are missing
for longer than 3.5 frame times:
a damaged picture stays damaged until the next IDR. Expected frames: the span from the first
keyframe to the last frame, times the frame rate (decoded % = decoded / expected). Counting starts at the second keyframe:
what comes before is join time and the receiver's start-up (rtspsrc's first group of pictures
from gst-rtsp-server often shows frame number gaps with no loss at all), measured elsewhere.

    python3 bench/loss_frames.py RECORDING [--fps 25]   -> one JSON line
"""
import argparse
import json
import subprocess

# Logged below warning level, yet damage: error concealment of missing slices (info), and a
# reference frame that never arrived (debug: the decoder invents one and says nothing louder).
DAMAGE = ("concealing", "Frame num gap")
# Decoder messages that are not about the picture.
BENIGN = ("co located POCs unavailable", "no frame!", "Increasing reorder buffer",
          "Reinit context", "SEI type")


def frame_errors(frame):
    """The decoder's complaints about this frame: errors, warnings and DAMAGE."""
    found = []
    for entry in frame.get("logs") or []:
        message = entry.get("message", "")
        level = entry.get("level", 99)
        if (level <= 24 and not any(b in message for b in BENIGN)) or any(
                sign in message for sign in DAMAGE):
            found.append(message.strip())
    return found


def analyze(path, fps, timeout=300):
    """Counts of one recording; `error` set when it cannot be read at all."""
    command = ["ffprobe", "-v", "error", "-threads", "1", "-select_streams", "v:0",
               "-show_frames", "-show_log", "48", "-of", "json", path]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        frames = json.loads(out.stdout or "{}").get("frames", [])
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        return {"error": f"ffprobe: {error}"}
    frame_s = 1.0 / fps
    decoded = clean = missing = errors = counted = keys_seen = 0
    damaged = False
    previous = None
    first_key = None
    samples = []
    for frame in frames:
        stamp = frame.get("best_effort_timestamp_time") or frame.get("pts_time")
        try:
            t = float(stamp)
        except (TypeError, ValueError):
            t = previous + frame_s if previous is not None else 0.0
        key = int(frame.get("key_frame", 0)) == 1
        if first_key is None:
            keys_seen += key
            if keys_seen < 2:
                continue
            first_key = t
        # Receivers' timestamps jitter by a frame or two under load; a frame that is really
        # missing shows as a frame number gap. A longer hole (whole pictures gone) counts too.
        if previous is not None and t - previous > 3.5 * frame_s:
            damaged = True
        previous = t if previous is None else max(previous, t)
        bad = frame_errors(frame)
        if int(frame.get("decode_error_flags", 0) or 0) != 0:
            bad.append(f"decode_error_flags={frame['decode_error_flags']}")
        if key and not bad:
            damaged = False
        if bad:
            damaged = True
            errors += 1
            if len(samples) < 3:
                samples.append(bad[0][:120])
        decoded += 1
        counted += 1
        if not damaged:
            clean += 1
    span = previous - first_key if first_key is not None else 0.0
    expected = max(decoded, int(round(span / frame_s)) + 1) if decoded else 0
    missing = expected - decoded
    return {
        "frames_expected": expected,
        "frames_decoded": decoded,
        "frames_clean": clean,
        "frames_with_errors": errors,
        "frames_missing": missing,
        "frames_before_second_keyframe": len(frames) - counted,
        "recorded_s": round(previous - first_key, 2) if first_key is not None else 0.0,
        "decoded_pct": round(100.0 * decoded / expected, 2) if expected else None,
        "clean_pct": round(100.0 * clean / expected, 2) if expected else None,
        "error_samples": samples,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recording")
    parser.add_argument("--fps", type=float, default=25.0)
    args = parser.parse_args()
    print(json.dumps(analyze(args.recording, args.fps)))


if __name__ == "__main__":
    main()
