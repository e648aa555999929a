from __future__ import annotations

BANK = """\
format: 1
id: t-bank
version: 1.0.0
title: T
licence: {holder: x, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
calibration:
  sample: {n: 500, simulated: true}
  metric: {name: T, mean: 50, sd: 10}
  target: {theta: [-1.5, 1.0]}
scales:
  s4:
    type: ordinal
    options: [{value: 1, label: a}, {value: 2, label: b}, {value: 3, label: c}, {value: 4, label: d}]
items:
  - {id: q1, text: one, scale: s4, irt: {a: 1.5, b: [-1, 0, 1]}}
  - {id: q2, text: two, scale: s4, reverse: true, irt: {a: 2.0, b: [-1.5, -0.2, 0.8]}}
  - {id: q3, text: three, scale: s4, irt: {a: 1.0, d: [2, 0, -2]}}
  - {id: q4, text: four, scale: s4, irt: {model: gpcm, a: 0.8, b: [0.5, -0.5, 1.0]}}
scores:
  - {id: wb, items: all, method: irt, bands: [{max: 40, label: low}, {label: ok}], higher_is_better: true}
  - {id: wbs, items: all, method: irt, irt: {estimator: EAP_sum, se: false}}
"""
