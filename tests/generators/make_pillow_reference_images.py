#!/usr/bin/env python3
"""Writes tests/engine/data/pillow/: small GIF, PNM and 16-bit BMP files where stb_image and
Pillow disagree, and expected.json with what Pillow 9.4 (Debian 12's python3-pil) gives for
Image.open(f).convert('RGB'): width, height and the RGB bytes as hex. Unlike
make_test_images.py, the expected pixels come from running Pillow itself.

Run: python3 tests/generators/make_pillow_reference_images.py tests/engine/data/pillow
"""
import io
import json
import os
import struct
import sys
import zlib

from PIL import Image

from make_test_images import png_chunk

PALETTE = [(10, 20, 30), (200, 100, 50), (0, 255, 0), (1, 2, 250), (90, 90, 90), (255, 255, 0), (7, 8, 9), (100, 0, 200)]


def lzw_codes(indices, min_code_size):
    """GIF LZW without compression: literal codes, a clear code before the table would grow."""
    clear = 1 << min_code_size
    width = min_code_size + 1
    bits = nbits = 0
    out = bytearray()

    def emit(code):
        nonlocal bits, nbits
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 255)
            bits >>= 8
            nbits -= 8

    emit(clear)
    since_clear = 0
    for i in indices:
        emit(i)
        since_clear += 1
        if since_clear == (1 << width) - clear - 3:
            emit(clear)
            since_clear = 0
    emit(clear + 1)
    if nbits:
        out.append(bits & 255)
    return bytes(out)


def sub_blocks(data):
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)) + b"\0"


def color_table(colors):
    bits = max(1, (len(colors) - 1).bit_length())
    padded = list(colors) + [(0, 0, 0)] * ((1 << bits) - len(colors))
    return bits - 1, b"".join(bytes(c) for c in padded)


def interlace(rows):
    return [rows[y] for start, step in ((0, 8), (4, 8), (2, 4), (1, 2)) for y in range(start, len(rows), step)]


def gif(screen, frame, indices, global_colors=None, local_colors=None, transparent=None, interlaced=False):
    sw, sh = screen
    fx, fy, fw, fh = frame
    out = bytearray(b"GIF89a")
    flags, table = 0, b""
    if global_colors is not None:
        size, table = color_table(global_colors)
        flags = 0x80 | size
    out += struct.pack("<HHBBB", sw, sh, flags, 3, 0) + table
    if transparent is not None:
        out += b"\x21\xf9\x04\x01\x00\x00" + bytes([transparent]) + b"\x00"
    out += b"\x21\xfe\x05hello\x00"  # a comment block to skip
    flags, table = 0, b""
    if local_colors is not None:
        size, table = color_table(local_colors)
        flags = 0x80 | size
    if interlaced:
        flags |= 0x40
        rows = [indices[y * fw:(y + 1) * fw] for y in range(fh)]
        indices = [i for row in interlace(rows) for i in row]
    out += b"\x2c" + struct.pack("<HHHHB", fx, fy, fw, fh, flags) + table
    min_code_size = max(2, max(indices).bit_length())
    out += bytes([min_code_size]) + sub_blocks(lzw_codes(indices, min_code_size)) + b"\x3b"
    return bytes(out)


def bmp16(width, height, pixels, masks):
    row_bytes = (width * 2 + 3) // 4 * 4
    data = bytearray()
    for y in range(height - 1, -1, -1):
        row = b"".join(struct.pack("<H", pixels[y * width + x]) for x in range(width))
        data += row + b"\0" * (row_bytes - len(row))
    compression = 0 if masks is None else 3
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 16, compression, len(data), 2835, 2835, 0, 0)
    if masks is not None:
        header += struct.pack("<III", *masks)
    offset = 14 + len(header)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + header + bytes(data)


def pillow_written_gif(width, height, colors, **options):
    """A GIF that Pillow itself compresses: real LZW with table references and growing codes."""
    image = Image.new("P", (width, height))
    image.putpalette([v for i in range(256) for v in ((i * 7) % 256, (i * 13 + 5) % 256, (255 - i) % 256)])
    image.putdata([((x // 3) * 5 + (y // 2) * 11 + (x * y) % 7) % colors for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, format="GIF", **options)
    return out.getvalue()


def palette_png(width, height, depth, colors, rows):
    """A palette PNG whose rows (lists of indices) may point past its PLTE of `colors` entries."""
    raw = b""
    for row in rows:
        bits = "".join(format(i, "0%db" % depth) for i in row)
        bits += "0" * (-len(bits) % 8)
        raw += b"\0" + bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    header = struct.pack(">IIBBBBB", width, height, depth, 3, 0, 0, 0)
    plte = b"".join(bytes(c) for c in PALETTE[:colors])
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"PLTE", plte) +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def files():
    idx = [(x + y) % 4 for y in range(3) for x in range(5)]
    wide = [(x * 3 + y * 5) % 8 for y in range(11) for x in range(9)]
    ramp = [(i * 37) % 256 for i in range(64)]
    samples = [(i * 2183) % 65536 for i in range(16)]
    yield "gif_transparent_index.gif", gif((5, 3), (0, 0, 5, 3), idx, PALETTE, transparent=2)
    yield "gif_small_frame.gif", gif((7, 5), (1, 1, 5, 3), idx, PALETTE)
    yield "gif_small_frame_transparent.gif", gif((7, 5), (1, 1, 5, 3), idx, PALETTE, transparent=1)
    yield "gif_frame_past_screen.gif", gif((4, 2), (1, 0, 5, 3), idx, PALETTE)
    yield "gif_local_table.gif", gif((5, 3), (0, 0, 5, 3), idx, local_colors=PALETTE[:4])
    yield "gif_short_table.gif", gif((5, 3), (0, 0, 5, 3), idx, PALETTE[:2])
    yield "gif_no_table.gif", gif((5, 3), (0, 0, 5, 3), idx)
    yield "gif_interlaced.gif", gif((9, 11), (0, 0, 9, 11), wide, PALETTE, interlaced=True)
    yield "gif_wide_codes.gif", gif((8, 8), (0, 0, 8, 8), ramp, [(i, 255 - i, i // 2) for i in range(256)])
    yield "gif_pillow_lzw.gif", pillow_written_gif(67, 45, 200)
    yield "gif_pillow_lzw_interlaced.gif", pillow_written_gif(40, 33, 16, interlace=True, transparency=3)
    yield "png_palette_past_plte.png", palette_png(4, 2, 8, 2, [[0, 1, 5, 200], [255, 1, 2, 0]])
    yield "png_palette4_past_plte.png", palette_png(5, 2, 4, 3, [[0, 1, 2, 3, 15], [7, 2, 1, 0, 9]])
    yield "pnm_gray_maxval15.pgm", b"P5\n3 2\n15\n" + bytes([0, 1, 7, 15, 3, 9])
    yield "pnm_rgb_maxval200.ppm", b"P6\n# comment\n2 2\n200\n" + bytes([0, 100, 200, 201, 255, 1, 50, 150, 99, 101, 3, 199])
    yield "pnm_gray_maxval1.pgm", b"P5 2 1 1\n" + bytes([0, 1])
    yield "bmp_rgb565.bmp", bmp16(4, 4, samples, (0xF800, 0x07E0, 0x001F))
    yield "bmp_rgb555_bitfields.bmp", bmp16(4, 4, samples, (0x7C00, 0x03E0, 0x001F))
    yield "bmp_rgb555.bmp", bmp16(4, 4, [s & 0x7FFF for s in samples], None)


def main(folder):
    os.makedirs(folder, exist_ok=True)
    expected = {}
    for name, data in files():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        image = Image.open(io.BytesIO(data)).convert("RGB")
        expected[name] = {"width": image.width, "height": image.height, "rgb": image.tobytes().hex()}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "images": expected}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
