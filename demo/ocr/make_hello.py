#!/usr/bin/python3
"""Draws demo/ocr/hello.png, the image `make demo-ocr` reads, and hello.txt, its lines of text.

Run with Debian's Python and python3-pil (`apt-get install python3-pil fonts-dejavu-core`):
    /usr/bin/python3 demo/ocr/make_hello.py
The PNG is committed; this script records how it was made.
"""
import os
from PIL import Image, ImageDraw, ImageFont

LINES = [
    "Hello from cort",
    "An ONNX runtime written in C",
    "This text was read by PP-OCRv4",
    "The quick brown fox jumps over 13 lazy dogs",
]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HERE = os.path.dirname(os.path.abspath(__file__))


def draw_spaced(draw, x, y, line, font):
    """Draws the words of a line with gaps of about two spaces: PP-OCRv4's recogniser, trained
    mostly on Chinese, tends to run words together when the gaps are narrow."""
    gap = font.getlength("  ")
    for word in line.split():
        draw.text((x, y), word, fill=0, font=font)
        x += font.getlength(word) + gap


def main():
    font = ImageFont.truetype(FONT, 30)
    title = ImageFont.truetype(FONT, 40)
    img = Image.new("L", (800, 300), 255)
    draw = ImageDraw.Draw(img)
    y = 24
    for i, line in enumerate(LINES):
        f = title if i == 0 else font
        draw_spaced(draw, 32, y, line, f)
        y += 80 if i == 0 else 60
    # Grey with a palette of few levels keeps the PNG small (a few KB).
    img.quantize(colors=16).save(os.path.join(HERE, "hello.png"), optimize=True)
    with open(os.path.join(HERE, "hello.txt"), "w") as out:
        out.write("\n".join(LINES) + "\n")


if __name__ == "__main__":
    main()
