#!/usr/bin/env python3
"""Writes the small test images of tests/engine/data/ and expected.json (Python stdlib only).

Each file holds the same kind of 5x3 picture in a different format or pixel mode. expected.json
gives, per file, either the RGB bytes that PIL's Image.open(f).convert('RGB') yields (gray
copied to R, G, B; alpha dropped, not blended; palettes looked up; 16-bit PNG samples keep
their high byte) as hex, or the text an error message must contain.

Run: python3 tests/generators/make_test_images.py tests/engine/data
"""
import json
import os
import struct
import sys
import zlib

W, H = 5, 3


def rgb_at(x, y):
    return ((x * 61 + y * 17) % 256, (x * 13 + y * 97 + 40) % 256, (255 - x * 47 - y * 29) % 256)


def gray_at(x, y):
    return (x * 53 + y * 71 + 3) % 256


def alpha_at(x, y):
    return (0, 64, 128, 255, 7)[(x + y) % 5]  # includes fully transparent pixels


PALETTE = [((i * 37) % 256, (i * 91 + 11) % 256, (255 - i * 23) % 256) for i in range(16)]


def index_at(x, y):
    return (x + 2 * y) % 16


def expected_rgb(pixel_fn):
    return bytes(v for y in range(H) for x in range(W) for v in pixel_fn(x, y)).hex()


def gray_rgb(x, y):
    g = gray_at(x, y)
    return (g, g, g)


def palette_rgb(x, y):
    return PALETTE[index_at(x, y)]


# ---------------------------------------------------------------- PNG

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_filter(rows, bpp):
    """Filters each row with type (row index % 5) so every PNG filter is exercised."""
    out = bytearray()
    prev = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = y % 5
        filtered = bytearray()
        for i, v in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
            filtered.append((v - pred) % 256)
        out += bytes([kind]) + filtered
        prev = row
    return bytes(out)


def pack_bits(values, depth):
    out = bytearray()
    acc, n = 0, 0
    for v in values:
        acc = (acc << depth) | v
        n += depth
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def write_png(path, color_type, depth, rows, bpp, extra=b""):
    ihdr = struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
    data += png_chunk(b"IDAT", zlib.compress(png_filter(rows, bpp), 9)) + png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png_interlaced(path, color_type, pixel_bytes):
    """8-bit Adam7 interlaced PNG; pixel_bytes(x, y) gives one pixel's bytes."""
    data = b""
    for x0, y0, dx, dy in ADAM7:
        xs, ys = range(x0, W, dx), range(y0, H, dy)
        if not xs or not ys:
            continue
        rows = [b"".join(pixel_bytes(x, y) for x in xs) for y in ys]
        data += png_filter(rows, len(pixel_bytes(0, 0)))
    ihdr = struct.pack(">IIBBBBB", W, H, 8, color_type, 0, 0, 1)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(data, 9)) +
                png_chunk(b"IEND", b""))


def be16(v):
    return struct.pack(">H", v)


def make_pngs(d, expected):
    rows = [bytes(gray_at(x, y) for x in range(W)) for y in range(H)]
    write_png(f"{d}/png_gray8.png", 0, 8, rows, 1)
    expected["png_gray8.png"] = expected_rgb(gray_rgb)

    rows = [pack_bits([gray_at(x, y) >> 4 for x in range(W)], 4) for y in range(H)]
    write_png(f"{d}/png_gray4.png", 0, 4, rows, 1)
    expected["png_gray4.png"] = expected_rgb(lambda x, y: ((gray_at(x, y) >> 4) * 17,) * 3)

    rows = [bytes(v for x in range(W) for v in (gray_at(x, y), alpha_at(x, y))) for y in range(H)]
    write_png(f"{d}/png_gray_alpha8.png", 4, 8, rows, 2)
    expected["png_gray_alpha8.png"] = expected_rgb(gray_rgb)

    rows = [bytes(v for x in range(W) for v in rgb_at(x, y)) for y in range(H)]
    write_png(f"{d}/png_rgb8.png", 2, 8, rows, 3)
    expected["png_rgb8.png"] = expected_rgb(rgb_at)

    write_png_interlaced(f"{d}/png_rgb8_interlaced.png", 2, lambda x, y: bytes(rgb_at(x, y)))
    expected["png_rgb8_interlaced.png"] = expected_rgb(rgb_at)

    rows = [bytes(v for x in range(W) for v in rgb_at(x, y) + (alpha_at(x, y),)) for y in range(H)]
    write_png(f"{d}/png_rgba8.png", 6, 8, rows, 4)
    expected["png_rgba8.png"] = expected_rgb(rgb_at)

    plte = png_chunk(b"PLTE", bytes(v for c in PALETTE for v in c))
    rows = [bytes(index_at(x, y) for x in range(W)) for y in range(H)]
    write_png(f"{d}/png_palette8.png", 3, 8, rows, 1, plte)
    expected["png_palette8.png"] = expected_rgb(palette_rgb)

    trns = png_chunk(b"tRNS", bytes([0, 128, 255, 0]))  # alpha of the first four entries
    rows = [pack_bits([index_at(x, y) for x in range(W)], 4) for y in range(H)]
    write_png(f"{d}/png_palette4_trns.png", 3, 4, rows, 1, plte + trns)
    expected["png_palette4_trns.png"] = expected_rgb(palette_rgb)

    # 16-bit: the low byte is set so that a correct decoder must drop it, not round with it.
    rows = [b"".join(be16(v * 256 + 0xFF) for x in range(W) for v in rgb_at(x, y)) for y in range(H)]
    write_png(f"{d}/png_rgb16.png", 2, 16, rows, 6)
    expected["png_rgb16.png"] = expected_rgb(rgb_at)

    rows = [b"".join(be16(v * 256 + 0x80) for x in range(W) for v in rgb_at(x, y) + (alpha_at(x, y),))
            for y in range(H)]
    write_png(f"{d}/png_rgba16.png", 6, 16, rows, 8)
    expected["png_rgba16.png"] = expected_rgb(rgb_at)

    rows = [b"".join(be16(v * 256 + 0xC0) for x in range(W) for v in (gray_at(x, y), alpha_at(x, y)))
            for y in range(H)]
    write_png(f"{d}/png_gray_alpha16.png", 4, 16, rows, 4)
    expected["png_gray_alpha16.png"] = expected_rgb(gray_rgb)

    rows = [b"".join(be16(gray_at(x, y) * 257) for x in range(W)) for y in range(H)]
    write_png(f"{d}/png_gray16.png", 0, 16, rows, 2)
    expected["png_gray16.png"] = {"error": "16-bit grayscale PNG is not supported"}


# ---------------------------------------------------------------- BMP

def write_bmp(path, bits, rows_bottom_up, palette=None, top_down=False):
    """rows_bottom_up: the stored rows, already in file order, unpadded."""
    stride = (len(rows_bottom_up[0]) + 3) // 4 * 4
    pixels = b"".join(r + bytes(stride - len(r)) for r in rows_bottom_up)
    pal = b"".join(bytes((b, g, r, 0)) for r, g, b in (palette or []))
    offset = 14 + 40 + len(pal)
    info = struct.pack("<IiiHHIIiiII", 40, W, -H if top_down else H, 1, bits, 0, len(pixels), 2835, 2835,
                       len(palette or []), 0)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    with open(path, "wb") as f:
        f.write(header + info + pal + pixels)


def make_bmps(d, expected):
    def bgr_row(y):
        return bytes(v for x in range(W) for v in reversed(rgb_at(x, y)))

    write_bmp(f"{d}/bmp_rgb24.bmp", 24, [bgr_row(y) for y in reversed(range(H))])
    expected["bmp_rgb24.bmp"] = expected_rgb(rgb_at)

    write_bmp(f"{d}/bmp_rgb24_top_down.bmp", 24, [bgr_row(y) for y in range(H)], top_down=True)
    expected["bmp_rgb24_top_down.bmp"] = expected_rgb(rgb_at)

    rows = [bytes(v for x in range(W) for v in tuple(reversed(rgb_at(x, y))) + (alpha_at(x, y),))
            for y in reversed(range(H))]
    write_bmp(f"{d}/bmp_rgbx32.bmp", 32, rows)
    expected["bmp_rgbx32.bmp"] = expected_rgb(rgb_at)

    rows = [bytes(index_at(x, y) for x in range(W)) for y in reversed(range(H))]
    write_bmp(f"{d}/bmp_palette8.bmp", 8, rows, PALETTE)
    expected["bmp_palette8.bmp"] = expected_rgb(palette_rgb)

    rows = [pack_bits([index_at(x, y) for x in range(W)], 4) for y in reversed(range(H))]
    write_bmp(f"{d}/bmp_palette4.bmp", 4, rows, PALETTE)
    expected["bmp_palette4.bmp"] = expected_rgb(palette_rgb)


# ---------------------------------------------------------------- TGA

def tga_header(image_type, bits, descriptor, cmap=None):
    if cmap:
        return struct.pack("<BBBHHBHHHHBB", 0, 1, image_type, 0, len(cmap), 24, 0, 0, W, H, bits, descriptor)
    return struct.pack("<BBBHHBHHHHBB", 0, 0, image_type, 0, 0, 0, 0, 0, W, H, bits, descriptor)


def tga_rle(pixels, size):
    """Run-length packets: repeats as run packets, the rest as raw packets (per row)."""
    out = bytearray()
    for row in range(H):
        px = [pixels[(row * W + x) * size:(row * W + x + 1) * size] for x in range(W)]
        i = 0
        while i < W:
            j = i
            while j + 1 < W and px[j + 1] == px[i] and j - i < 127:
                j += 1
            if j > i:
                out += bytes([0x80 | (j - i)]) + px[i]
                i = j + 1
            else:
                out += bytes([0]) + px[i]
                i += 1
    return bytes(out)


def make_tgas(d, expected):
    def write(name, data):
        with open(f"{d}/{name}", "wb") as f:
            f.write(data)

    bottom_up = [y for y in reversed(range(H))]
    bgr = b"".join(bytes(reversed(rgb_at(x, y))) for y in bottom_up for x in range(W))
    write("tga_rgb24.tga", tga_header(2, 24, 0) + bgr)
    expected["tga_rgb24.tga"] = expected_rgb(rgb_at)

    top_down = b"".join(bytes(reversed(rgb_at(x, y))) for y in range(H) for x in range(W))
    write("tga_rgb24_top_down.tga", tga_header(2, 24, 0x20) + top_down)
    expected["tga_rgb24_top_down.tga"] = expected_rgb(rgb_at)

    bgra = b"".join(bytes(tuple(reversed(rgb_at(x, y))) + (alpha_at(x, y),)) for y in bottom_up for x in range(W))
    write("tga_rgba32.tga", tga_header(2, 32, 8) + bgra)
    expected["tga_rgba32.tga"] = expected_rgb(rgb_at)

    gray = bytes(gray_at(x, y) for y in bottom_up for x in range(W))
    write("tga_gray8.tga", tga_header(3, 8, 0) + gray)
    expected["tga_gray8.tga"] = expected_rgb(gray_rgb)

    # Pixels that repeat along a row, so the RLE has run packets.
    def blocky(x, y):
        return rgb_at(x // 2 * 2, y)
    blocky_bgr = b"".join(bytes(reversed(blocky(x, y))) for y in bottom_up for x in range(W))
    write("tga_rle24.tga", tga_header(10, 24, 0) + tga_rle(blocky_bgr, 3))
    expected["tga_rle24.tga"] = expected_rgb(blocky)

    cmap = b"".join(bytes(reversed(c)) for c in PALETTE)
    idx = bytes(index_at(x, y) for y in bottom_up for x in range(W))
    write("tga_palette8.tga", tga_header(1, 8, 0, PALETTE) + cmap + idx)
    expected["tga_palette8.tga"] = expected_rgb(palette_rgb)


# ---------------------------------------------------------------- GIF

def lzw_encode(indices, min_code_size):
    """GIF LZW with a clear code before every few symbols, so codes never outgrow min+1 bits."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    codes = []
    budget = (1 << width) - end - 1  # table entries we may add before the width would grow
    for i in range(0, len(indices), budget):
        codes.append(clear)
        codes.extend(indices[i:i + budget])
    codes.append(end)
    out, acc, n = bytearray(), 0, 0
    for c in codes:
        acc |= c << n
        n += width
        while n >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            n -= 8
    if n:
        out.append(acc)
    return bytes(out)


def make_gif(d, expected):
    table = b"".join(bytes(c) for c in PALETTE)
    data = b"GIF89a" + struct.pack("<HHBBB", W, H, 0x80 | 0x03, 0, 0) + table  # 16-entry global table
    data += b"," + struct.pack("<HHHHB", 0, 0, W, H, 0)
    lzw = lzw_encode([index_at(x, y) for y in range(H) for x in range(W)], 4)
    data += bytes([4])
    for i in range(0, len(lzw), 255):
        block = lzw[i:i + 255]
        data += bytes([len(block)]) + block
    data += b"\x00;"
    with open(f"{d}/gif_palette.gif", "wb") as f:
        f.write(data)
    expected["gif_palette.gif"] = expected_rgb(palette_rgb)


# ---------------------------------------------------------------- PNM, PSD

def make_pnm_psd(d, expected):
    with open(f"{d}/pnm_gray.pgm", "wb") as f:
        f.write(b"P5\n# a comment\n%d %d\n255\n" % (W, H) + bytes(gray_at(x, y) for y in range(H) for x in range(W)))
    expected["pnm_gray.pgm"] = expected_rgb(gray_rgb)

    with open(f"{d}/pnm_rgb.ppm", "wb") as f:
        f.write(b"P6 %d %d 255\n" % (W, H) + bytes(v for y in range(H) for x in range(W) for v in rgb_at(x, y)))
    expected["pnm_rgb.ppm"] = expected_rgb(rgb_at)

    with open(f"{d}/pnm_rgb16.ppm", "wb") as f:
        f.write(b"P6 %d %d 65535\n" % (W, H) +
                b"".join(be16(v * 257) for y in range(H) for x in range(W) for v in rgb_at(x, y)))
    expected["pnm_rgb16.ppm"] = {"error": "16-bit PNM images are not supported"}

    planes = b"".join(bytes(rgb_at(x, y)[c] for y in range(H) for x in range(W)) for c in range(3))
    psd = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, H, W, 8, 3) + struct.pack(">III", 0, 0, 0)
    psd += struct.pack(">H", 0) + planes  # compression 0: raw planar composite
    with open(f"{d}/psd_rgb.psd", "wb") as f:
        f.write(psd)
    expected["psd_rgb.psd"] = expected_rgb(rgb_at)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "tests/engine/data"
    os.makedirs(d, exist_ok=True)
    expected = {}
    make_pngs(d, expected)
    make_bmps(d, expected)
    make_tgas(d, expected)
    make_gif(d, expected)
    make_pnm_psd(d, expected)
    out = {"width": W, "height": H, "images": dict(sorted(expected.items()))}
    with open(f"{d}/expected.json", "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
