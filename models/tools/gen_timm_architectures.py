#!/usr/bin/env python3
"""Regenerates models/timm_architectures.json from a timm source checkout.

Usage: gen_timm_architectures.py <timm checkout> <output json> [timm commit id, recorded in the output]

Reads the timm sources as text (no torch, no timm import): every @register_model entrypoint of
vision_transformer.py, deit.py and vision_transformer_hybrid.py, its `model_args = dict(...)`
and the extra keywords of its _create_* call, plus each module's default_cfgs table, from which the
default pretrained tag of every architecture is chosen the way timm's generate_default_cfgs does.
Deprecated names (register_model_deprecations) become alias entries.
"""
import ast
import copy
import json
import re
import sys
import typing
from pathlib import Path

MODULES = ['vision_transformer.py', 'deit.py', 'vision_transformer_hybrid.py']

# VisionTransformer.__init__ defaults (timm 1.0.28) in the normalised form this file uses.
DEFAULTS = {
    'img_size': [224, 224], 'patch_size': 16, 'in_chans': 3, 'num_classes': 1000, 'global_pool': 'token',
    'embed_dim': 768, 'depth': 12, 'num_heads': 12, 'mlp_ratio': 4.0, 'qkv_bias': True, 'qk_norm': False,
    'scale_attn_norm': False, 'scale_mlp_norm': False, 'proj_bias': True, 'init_values': None,
    'class_token': True, 'pos_embed': 'learn', 'no_embed_class': False, 'reg_tokens': 0, 'pre_norm': False,
    'final_norm': True, 'fc_norm': None, 'pool_include_prefix': False, 'dynamic_img_size': False,
    'dynamic_img_pad': False, 'embed_layer': 'PatchEmbed', 'embed_norm_layer': None, 'norm_layer': 'layernorm',
    'norm_eps': 1e-6, 'act_layer': 'gelu', 'block_fn': 'Block', 'mlp_layer': 'Mlp', 'attn_layer': 'Attention',
}
# PretrainedCfg dataclass defaults for the fields the importer uses.
PRETRAINED_CFG_DEFAULTS = {
    'input_size': [3, 224, 224], 'fixed_input_size': False, 'interpolation': 'bicubic', 'crop_pct': 0.875,
    'crop_mode': 'center', 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'num_classes': 1000,
}
NORM_NAMES = {'LayerNorm': 'layernorm', 'RmsNorm': 'rmsnorm', 'rmsnorm': 'rmsnorm', 'layernorm': 'layernorm'}
ACT_NAMES = {'nn.SiLU': 'silu', 'nn.GELU': 'gelu'}


def number(node):
    """Evaluates a literal or simple arithmetic (48 / 11, 2.66667 * 2)."""
    if isinstance(node, ast.BinOp):
        a, b = number(node.left), number(node.right)
        ops = {ast.Div: lambda: a / b, ast.Mult: lambda: a * b, ast.Add: lambda: a + b, ast.Sub: lambda: a - b}
        return ops[type(node.op)]()
    return ast.literal_eval(node)


def norm_layer(node):
    """-> (name, eps or None) for LayerNorm, RmsNorm, 'rmsnorm', partial(LayerNorm, eps=...)."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == 'partial':
        name, _ = norm_layer(node.args[0])
        eps = {kw.arg: number(kw.value) for kw in node.keywords}.get('eps')
        return name, eps
    text = ast.literal_eval(node) if isinstance(node, ast.Constant) else ast.unparse(node)
    return NORM_NAMES[text], None


def convert_kwarg(key, node, out):
    if key == 'norm_layer':
        name, eps = norm_layer(node)
        out['norm_layer'] = name
        if eps is not None:
            out['norm_eps'] = eps
    elif key == 'embed_norm_layer':
        name, eps = norm_layer(node)
        out[key] = name if eps is None else f'{name}(eps={eps})'
    elif key == 'act_layer':
        out[key] = ast.literal_eval(node) if isinstance(node, ast.Constant) else ACT_NAMES[ast.unparse(node)]
    elif key in ('block_fn', 'mlp_layer', 'embed_layer'):
        out[key] = ast.unparse(node)
    elif key == 'attn_layer':
        out[key] = ast.literal_eval(node) if isinstance(node, ast.Constant) else ast.unparse(node)
    elif key == 'img_size':
        v = number(node)
        out[key] = [v, v] if isinstance(v, int) else list(v)
    else:
        out[key] = number(node)


def entrypoints(tree):
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        if not any(isinstance(d, ast.Name) and d.id == 'register_model' for d in fn.decorator_list):
            continue
        args, extra, backbone, create = {}, {}, None, None
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
                if target == 'model_args':
                    for kw in node.value.keywords:
                        convert_kwarg(kw.arg, kw.value, args)
                elif target == 'backbone':
                    backbone = ast.unparse(node.value)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith('_create'):
                create = node
        assert create is not None, fn.name
        assert ast.literal_eval(create.args[0]) == fn.name, fn.name
        for kw in create.keywords:
            if kw.arg == 'distilled':
                extra['distilled'] = ast.literal_eval(kw.value)
            elif kw.arg == 'embed_args':
                extra['embed_args'] = ast.unparse(kw.value)
            elif kw.arg not in (None, 'pretrained', 'backbone'):
                raise ValueError(f'{fn.name}: unexpected call keyword {kw.arg}')
            elif kw.arg is None:
                assert ast.unparse(kw.value) == 'dict(model_args, **kwargs)', fn.name
        entry = {'model_args': args}
        if extra.get('distilled'):
            entry['distilled'] = True  # VisionTransformerDistilled: dist token + head_dist
        if create.func.id == '_create_vision_transformer_hybrid':
            # _create_vision_transformer_hybrid's setdefaults; the CNN stem is not a timm kwarg
            args.setdefault('embed_layer', 'HybridEmbed')
            args.setdefault('patch_size', 1)
            entry['hybrid'] = dict(backbone=backbone, **extra)
        yield fn.name, entry


def pretrained_cfgs(tree, constants):
    """Executes only the module's _cfg def and default_cfgs assignments."""
    scope = dict(constants)
    scope.update(vars(typing))  # annotations of _cfg
    scope['generate_default_cfgs'] = lambda cfgs: cfgs
    scope['copy'] = copy
    # _cfg, the default_cfgs table and the statements that extend it (vision_transformer.py derives
    # the *_clip_quickgelu_* cfgs from the *_clip_* ones in a loop).
    body = [n for n in tree.body
            if (isinstance(n, ast.FunctionDef) and n.name == '_cfg')
            or (isinstance(n, (ast.Assign, ast.For)) and 'default_cfgs' in ast.unparse(n))]
    exec(compile(ast.Module(body=body, type_ignores=[]), '<default_cfgs>', 'exec'), scope)
    return scope['default_cfgs']


def default_tags(cfgs):
    """Mirrors timm's generate_default_cfgs: which tag an architecture name without a tag gets."""
    tags, has_default, pretrained = {}, set(), set()
    for key, cfg in cfgs.items():
        arch, _, tag = key.partition('.')
        has_weights = bool(cfg.get('url') or cfg.get('file') or cfg.get('hf_hub_id'))
        priority = (has_weights and not tag) or (tag.endswith('*') and arch not in has_default)
        tag = tag.strip('*')
        order = tags.setdefault(arch, [])
        if priority:
            order.insert(0, tag)
            has_default.add(arch)
        elif has_weights and arch not in pretrained:
            order.insert(0, tag)
        else:
            order.append(tag)
        if has_weights:
            pretrained.add(arch)
    return {arch: order[0] for arch, order in tags.items()}


def essentials(cfg, tag):
    out = {'tag': tag}
    for key, default in PRETRAINED_CFG_DEFAULTS.items():
        value = cfg.get(key, default)
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def deprecations(tree):
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and ast.unparse(node.value.func) == 'register_model_deprecations':
            yield from ast.literal_eval(node.value.args[1]).items()


def size_presets(archs):
    """embed_dim/depth/num_heads/mlp_ratio of plain vit_<size>_patch<P>_<res> names."""
    presets = {}
    for name, entry in archs.items():
        m = re.fullmatch(r'vit_([a-z]+)_patch\d+_\d+', name)
        if not m:
            continue
        args = entry['model_args']
        preset = {k: args.get(k, DEFAULTS[k]) for k in ('embed_dim', 'depth', 'num_heads', 'mlp_ratio')}
        assert presets.setdefault(m.group(1), preset) == preset, name
    return presets


def main():
    timm_root, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    commit = sys.argv[3] if len(sys.argv) > 3 else None
    version = {}
    exec((timm_root / 'timm/version.py').read_text(), version)
    constants = {}
    exec((timm_root / 'timm/data/constants.py').read_text(), constants)
    archs, aliases = {}, {}
    for module in MODULES:
        tree = ast.parse((timm_root / 'timm/models' / module).read_text())
        cfgs = pretrained_cfgs(tree, constants)
        defaults = default_tags(cfgs)
        family = module[:-3]
        for name, entry in entrypoints(tree):
            tag = defaults[name]
            key = f'{name}.{tag}' if tag else name
            cfg = cfgs[key] if key in cfgs else cfgs[key + '*']
            archs[name] = {'module': family, **entry, 'pretrained_cfg': essentials(cfg, tag)}
        for old, new in deprecations(tree):
            arch, _, tag = new.partition('.')
            cfg = cfgs.get(f'{arch}.{tag}') or cfgs.get(f'{arch}.{tag}*')
            if cfg is None:  # timm keeps a few deprecations whose tag no longer exists
                print(f'skipped alias {old} -> {new}: no such pretrained tag')
                continue
            aliases[old] = {'alias_of': new, 'pretrained_cfg': essentials(cfg, tag)}
    doc = {
        'about': 'timm VisionTransformer-family architectures: the constructor arguments each registered name '
                 'implies (entrypoint model_args over `defaults`) and its default pretrained_cfg. '
                 'Generated by models/tools/gen_timm_architectures.py; see models/README.md.',
        'timm_version': version['__version__'],
        'timm_commit': commit,
        'defaults': DEFAULTS,
        'pretrained_cfg_defaults': PRETRAINED_CFG_DEFAULTS,
        'hf_image_processor': {'name_contains': 'deit', 'match': 'DeiTImageProcessor',
                               'otherwise': 'ViTImageProcessor'},
        'size_presets': size_presets(archs),
        'architectures': archs,
        'aliases': aliases,
    }
    out_path.write_text(format_doc(doc))
    print(f'{len(archs)} architectures, {len(aliases)} aliases -> {out_path}')


def format_doc(doc):
    """Pretty at the top, one line per architecture, so diffs stay readable."""
    lines = ['{']
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        sep = ',' if i + 1 < len(items) else ''
        if isinstance(value, dict) and key in ('architectures', 'aliases', 'size_presets'):
            lines.append(f'  {json.dumps(key)}: {{')
            inner = list(value.items())
            for j, (name, entry) in enumerate(inner):
                isep = ',' if j + 1 < len(inner) else ''
                lines.append(f'    {json.dumps(name)}: {json.dumps(entry, separators=(", ", ": "))}{isep}')
            lines.append('  }' + sep)
        else:
            lines.append(f'  {json.dumps(key)}: {json.dumps(value)}{sep}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
