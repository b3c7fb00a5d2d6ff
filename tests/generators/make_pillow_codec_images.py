#!/usr/bin/env python3
"""Writes tests/engine/data/pillow_codecs/: small JPEG and PNG files of every kind the decoders
handle differently (chroma subsampling, progressive, gray, CMYK, EXIF orientation; PNG bit
depths, palettes with tRNS, alpha, 16 bits, Adam7 interlacing, ancillary chunks), and
expected.json with what Pillow 9.4 (Debian 12's python3-pil, linked to the system
libjpeg-turbo) gives for Image.open(f).convert('RGB'): width, height and the RGB bytes as hex.

With a second argument, the preprocessing fixtures folder (../shared/fixtures/preprocess), it
also writes fixture_sources.json: for each PNG and JPEG there, Pillow's RGB size and the CRC-32
of its RGB bytes, so the test can check those large files without storing their pixels.

Run: /usr/bin/python3 tests/generators/make_pillow_codec_images.py tests/engine/data/pillow_codecs \\
         ../shared/fixtures/preprocess
"""
import io
import json
import os
import struct
import sys
import zlib

from PIL import Image

from make_test_images import pack_bits, png_chunk, png_filter

W, H = 19, 11
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def rgb_at(x, y):
    """Smooth ramps, a hard edge and a little pseudo-noise: work for the IDCT and upsampling."""
    edge = 90 if x > W // 2 else 0
    noise = (x * 7919 + y * 104729) % 23
    return ((x * 13 + edge + noise) % 256, (y * 23 + 40 + noise * 2) % 256, (255 - x * 9 - y * 11 - edge) % 256)


def photo(mode="RGB"):
    im = Image.new("RGB", (W, H))
    im.putdata([rgb_at(x, y) for y in range(H) for x in range(W)])
    return im.convert(mode)


def jpegs():
    def save(im, **options):
        buf = io.BytesIO()
        im.save(buf, "JPEG", **options)
        return buf.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees; Image.open does not apply it
    yield "jpeg_420.jpg", save(photo(), quality=90)
    yield "jpeg_422.jpg", save(photo(), quality=90, subsampling=1)
    yield "jpeg_444.jpg", save(photo(), quality=90, subsampling=0)
    yield "jpeg_low_quality_optimized.jpg", save(photo(), quality=15, optimize=True)
    yield "jpeg_progressive.jpg", save(photo(), quality=80, progressive=True)
    yield "jpeg_gray.jpg", save(photo("L"), quality=85)
    yield "jpeg_gray_progressive.jpg", save(photo("L"), quality=85, progressive=True)
    yield "jpeg_cmyk.jpg", save(photo("CMYK"), quality=90)  # Adobe marker, inverted samples
    yield "jpeg_exif_orientation.jpg", save(photo(), quality=90, exif=exif.tobytes())
    yield "jpeg_one_pixel.jpg", save(photo().crop((3, 3, 4, 4)), quality=90)


def png(color_type, depth, samples, interlaced=False, extra=b"", w=W, h=H):
    """samples(x, y) gives one pixel's sample values; the rows are filtered and deflated."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    data = b""
    for x0, y0, dx, dy in passes:
        xs, ys = range(x0, w, dx), range(y0, h, dy)
        if not xs or not ys:
            continue
        rows = []
        for y in ys:
            values = [v for x in xs for v in samples(x, y)]
            if depth < 8:
                rows.append(pack_bits(values, depth))
            elif depth == 8:
                rows.append(bytes(values))
            else:
                rows.append(b"".join(struct.pack(">H", v) for v in values))
        data += png_filter(rows, max(1, channels * depth // 8))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlaced else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(data, 9)) +
            png_chunk(b"IEND", b""))


def gray(depth):
    return lambda x, y: ((x * 5 + y * 3) % (1 << depth),)


def gray16(x, y):
    return ((x * 3391 + y * 5003) % 65536,)


def rgb16(x, y):
    return tuple((v * 257 + x * 31 + y) % 65536 for v in rgb_at(x, y))


def alpha(x, y):
    return (0, 1, 128, 254, 255)[(x + y) % 5]


PALETTE = bytes(v for i in range(256) for v in ((i * 37) % 256, (i * 91 + 11) % 256, (255 - i * 23) % 256))


def palette_png(depth, entries, trns=None, interlaced=False):
    extra = png_chunk(b"PLTE", PALETTE[:3 * entries]) + (png_chunk(b"tRNS", trns) if trns else b"")
    return png(3, depth, lambda x, y: ((x * 3 + y * 5) % (1 << depth),), interlaced, extra)


def pngs():
    for depth in (1, 2, 4, 8):
        yield f"png_gray{depth}.png", png(0, depth, gray(depth))
        yield f"png_palette{depth}.png", palette_png(depth, 1 << depth)
    yield "png_palette8_short_plte_trns.png", palette_png(8, 40, trns=bytes(range(0, 250, 10)))
    yield "png_palette4_interlaced.png", palette_png(4, 16, trns=b"\x00\x80", interlaced=True)
    yield "png_gray2_interlaced.png", png(0, 2, gray(2), interlaced=True)
    yield "png_gray8_trns.png", png(0, 8, gray(8), extra=png_chunk(b"tRNS", b"\x00\x05"))
    yield "png_gray_alpha8.png", png(4, 8, lambda x, y: (gray(8)(x, y)[0], alpha(x, y)))
    yield "png_gray_alpha16.png", png(4, 16, lambda x, y: (gray16(x, y)[0], alpha(x, y) * 257))
    yield "png_rgb8.png", png(2, 8, rgb_at)
    yield "png_rgb8_trns.png", png(2, 8, rgb_at, extra=png_chunk(b"tRNS", b"\x00\x0d\x00\x28\x00\xff"))
    yield "png_rgb8_interlaced.png", png(2, 8, rgb_at, interlaced=True)
    yield "png_rgb16.png", png(2, 16, rgb16)
    yield "png_rgb16_interlaced.png", png(2, 16, rgb16, interlaced=True)
    yield "png_rgba8.png", png(6, 8, lambda x, y: rgb_at(x, y) + (alpha(x, y),))
    yield "png_rgba16.png", png(6, 16, lambda x, y: rgb16(x, y) + (alpha(x, y) * 257,))
    # Ancillary chunks that change nothing in convert('RGB'): gamma, an sRGB intent, text, and
    # one no decoder knows.
    chunks = (png_chunk(b"gAMA", struct.pack(">I", 22727)) + png_chunk(b"sRGB", b"\x00") +
              png_chunk(b"tEXt", b"Comment\x00hello") + png_chunk(b"vpAg", b"\x00" * 9))
    yield "png_rgb8_ancillary_chunks.png", png(2, 8, rgb_at, extra=chunks)
    yield "png_one_pixel.png", png(2, 8, rgb_at, w=1, h=1)


def pillow_rgb(data):
    im = Image.open(io.BytesIO(data)).convert("RGB")
    return im.size, im.tobytes()


def fixture_sources(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith((".png", ".jpg")):
            (w, h), rgb = pillow_rgb(open(os.path.join(folder, name), "rb").read())
            out[name] = {"width": w, "height": h, "rgb_crc32": zlib.crc32(rgb) & 0xFFFFFFFF}
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    images = {}
    for name, data in list(jpegs()) + list(pngs()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        (w, h), rgb = pillow_rgb(data)
        images[name] = {"width": w, "height": h, "rgb": rgb.hex()}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "images": images}, f, indent=1, sort_keys=True)
        f.write("\n")
    if len(sys.argv) > 2:
        with open(os.path.join(out, "fixture_sources.json"), "w") as f:
            json.dump({"pillow": Image.__version__, "images": fixture_sources(sys.argv[2])}, f, indent=1,
                      sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
