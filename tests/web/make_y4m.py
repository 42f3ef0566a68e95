#!/usr/bin/env python3
"""Writes an image as a YUV4MPEG2 clip for Chromium's fake camera (--use-file-for-fake-video-capture).

Usage: make_y4m.py IMAGE OUT.y4m [FRAMES]
8-bit 4:2:0 (C420jpeg: chroma sited between the luma samples), BT.601 limited range, 30 fps, FRAMES
copies of the image (default 3). Odd sizes are cropped by one pixel, as 4:2:0 needs even sides.
"""
import sys

from PIL import Image


def clamp(v):
    return 0 if v < 0 else 255 if v > 255 else int(v + 0.5)


def planes(img):
    w, h = img.size
    px = img.load()
    y = bytearray(w * h)
    u = bytearray((w // 2) * (h // 2))
    v = bytearray((w // 2) * (h // 2))
    for j in range(h):
        for i in range(w):
            r, g, b = px[i, j][:3]
            y[j * w + i] = clamp(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    # Chroma from the mean colour of each 2x2 block.
    for j in range(0, h, 2):
        for i in range(0, w, 2):
            r = g = b = 0
            for dj in (0, 1):
                for di in (0, 1):
                    p = px[i + di, j + dj]
                    r, g, b = r + p[0], g + p[1], b + p[2]
            r, g, b = r / 4, g / 4, b / 4
            k = (j // 2) * (w // 2) + i // 2
            u[k] = clamp(128 - 0.148 * r - 0.291 * g + 0.439 * b)
            v[k] = clamp(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    return bytes(y), bytes(u), bytes(v)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    frames = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    img = Image.open(sys.argv[1]).convert("RGB")
    w, h = img.size
    img = img.crop((0, 0, w - w % 2, h - h % 2))
    y, u, v = planes(img)
    with open(sys.argv[2], "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n" % img.size)
        for _ in range(frames):
            f.write(b"FRAME\n" + y + u + v)


if __name__ == "__main__":
    main()
