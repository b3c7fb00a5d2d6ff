#include "serve/page.h"

namespace vit::serve {

namespace {

constexpr const char kPage[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vitserve</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
#drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; cursor: pointer; }
#drop.over { background: #eef; }
#preview { max-width: 12rem; max-height: 12rem; display: block; margin: 1rem auto; image-rendering: pixelated; }
.row { display: flex; align-items: center; gap: .5rem; margin: .25rem 0; }
.name { width: 12rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar { height: 1rem; background: #4a7; border-radius: 3px; }
.prob { width: 4rem; text-align: right; font-variant-numeric: tabular-nums; }
#error { color: #b00; } label { margin-right: 1rem; } small { color: #666; }
</style></head><body>
<h1>vitserve</h1>
<div id="drop">Drop an image here, or <input type="file" id="file" accept="image/*"></div>
<p><label>top-k <input id="topk" type="number" min="1" value="5" style="width:4rem"></label>
<label>API key <input id="key" type="password" placeholder="(when required)"></label></p>
<img id="preview" alt="">
<p id="status"></p><p id="error"></p>
<div id="results"></div>
<p><small>POST /v1/classify and /v1/embed take image bytes; GET /metrics for counters.</small></p>
<script>
const $ = (id) => document.getElementById(id);
async function classify(file) {
  $('error').textContent = ''; $('results').textContent = ''; $('status').textContent = 'classifying…';
  $('preview').src = URL.createObjectURL(file);
  const headers = { 'Content-Type': file.type || 'application/octet-stream' };
  if ($('key').value) headers['Authorization'] = 'Bearer ' + $('key').value;
  const started = performance.now();
  try {
    const res = await fetch('/v1/classify?topk=' + encodeURIComponent($('topk').value), { method: 'POST', headers, body: file });
    const ms = performance.now() - started;
    const answer = await res.json();
    if (!res.ok) throw new Error(res.status + ': ' + answer.error);
    $('status').textContent = 'latency ' + ms.toFixed(1) + ' ms';
    $('status').dataset.ms = ms.toFixed(1);
    show(answer.results[0].topk);
  } catch (e) { $('status').textContent = ''; $('error').textContent = e.message; }
}
function show(topk) {
  topk.forEach((p, i) => {
    const row = document.createElement('div'); row.className = 'row';
    const name = document.createElement('span'); name.className = 'name';
    name.textContent = p.label + (p.description ? ' — ' + p.description : '');
    if (i === 0) name.id = 'top1';
    const bar = document.createElement('div'); bar.className = 'bar'; bar.style.width = (p.prob * 16) + 'rem';
    const prob = document.createElement('span'); prob.className = 'prob'; prob.textContent = (100 * p.prob).toFixed(1) + '%';
    row.append(name, prob, bar); $('results').append(row);
  });
}
$('file').addEventListener('change', () => { if ($('file').files[0]) classify($('file').files[0]); });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault(); drop.classList.remove('over');
  if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]);
});
</script></body></html>
)HTML";

}  // namespace

const char* page_html() { return kPage; }

}  // namespace vit::serve
