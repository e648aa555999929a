#!/usr/bin/env bash
# The demo: everything measurelib does, on shipped example data, into out/demo/.
# Run through `make demo` (which sets up the environment first).
set -euo pipefail
cd "$(dirname "$0")/.."
ML=".venv/bin/measurelib"
OUT="out/demo"
EX="instruments/examples"
rm -rf "$OUT" && mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "1. The catalog of shipped instruments"
$ML catalog

step "2. Build a bespoke measure from an item bank, SWEMWBS and the charity's own questions"
$ML build "$EX/charity-wellbeing.yaml" -o "$OUT/charity-wellbeing.built.yaml"
$ML licence "$EX/charity-wellbeing.yaml"
$ML lint "$OUT/charity-wellbeing.built.yaml" || true   # findings are advice, not failure

step "3. Render its forms: web, paper (HTML and PDF), read-aloud script, Excel entry sheet"
$ML render "$OUT/charity-wellbeing.built.yaml" --format html -o "$OUT/form.html"
$ML render "$OUT/charity-wellbeing.built.yaml" --format print -o "$OUT/form-print.html"
# SWEMWBS's wording is licensed and not shipped: these PDFs show placeholders in its place
# (--placeholders), to show the layout; a service builds with its licensed overlay instead.
$ML render "$OUT/charity-wellbeing.built.yaml" --format pdf --placeholders -o "$OUT/form.pdf"
$ML render "$OUT/charity-wellbeing.built.yaml" --format pdf --placeholders --large-print -o "$OUT/form-large-print.pdf"
$ML render "$OUT/charity-wellbeing.built.yaml" --format script -o "$OUT/telephone-script.html"
$ML render "$EX/feeling-today-cy-ar.yaml" --format html --lang ar -o "$OUT/feeling-today-ar.html"
$ML template "$OUT/charity-wellbeing.built.yaml" -o "$OUT/entry-sheet.xlsx"

step "4. Score example responses (simulated baseline and review)"
$ML score "$OUT/charity-wellbeing.built.yaml" "$EX/data/charity-wellbeing-baseline.csv" -o "$OUT/scores-baseline.csv"
$ML score "$OUT/charity-wellbeing.built.yaml" "$EX/data/charity-wellbeing-review.csv" -o "$OUT/scores-review.csv"

step "4b. Export the measure for other systems: FHIR, XLSForm (ODK/Kobo), REDCap, JSON Schema"
$ML export "$OUT/charity-wellbeing.built.yaml" --to fhir -o "$OUT/charity-wellbeing.fhir.json"
$ML export "$OUT/charity-wellbeing.built.yaml" --to xlsform -o "$OUT/charity-wellbeing.xlsform.xlsx"
$ML export "$OUT/charity-wellbeing.built.yaml" --to redcap -o "$OUT/charity-wellbeing.redcap.csv"
$ML export "$OUT/charity-wellbeing.built.yaml" --to jsonschema -o "$OUT/charity-wellbeing.row.schema.json"

step "5. Outcomes: store the forms, list who is due, the commissioner's report, a person's feedback"
DB="$OUT/measurelib.db"
$ML import "$OUT/charity-wellbeing.built.yaml" "$EX/data/charity-wellbeing-baseline.csv" --db "$DB" --service "Wellbeing support"
$ML import "$OUT/charity-wellbeing.built.yaml" "$EX/data/charity-wellbeing-review.csv" --db "$DB" --service "Wellbeing support"
$ML due --db "$DB" --schedule "$EX/charity-wellbeing-schedule.yaml" --on 2026-08-01 -o "$OUT/due.csv"
$ML report --db "$DB" --measure "$OUT/charity-wellbeing.built.yaml" --score swemwbs_metric -o "$OUT/impact-report.html"
$ML report --db "$DB" --measure "$OUT/charity-wellbeing.built.yaml" --score swemwbs_metric -o "$OUT/impact-report.pdf"
$ML feedback --db "$DB" --respondent CW0065 -o "$OUT/feedback-CW0065.html"
$ML feedback --db "$DB" --respondent CW0065 --score coping -o "$OUT/feedback-CW0065-coping.pdf"

step "6. Psychometric report of the bespoke measure (simulated data: the report says so)"
$ML assess "$OUT/charity-wellbeing.built.yaml" "$EX/data/charity-wellbeing-baseline.csv" \
  --report "$OUT/assessment-charity-wellbeing.html" --write-rci "$OUT/charity-wellbeing.rci.yaml" \
  --score swemwbs_metric

step "7. Psychometric report on real data: the IPIP Big Five items of the bfi data (n = 2,800)"
$ML assess instruments/banks/ipip-bfi.yaml tests/data/bfi.csv --on-invalid missing \
  --report "$OUT/assessment-ipip-bfi.html"
$ML assess instruments/banks/ipip-bfi.yaml tests/data/bfi.csv --on-invalid missing \
  --report "$OUT/assessment-ipip-bfi.pdf" > /dev/null

step "8. Item bank: calibrate (simulated answers, labelled so), a 6-item short form on the T metric"
BANK="instruments/banks/wellbeing-bank.yaml"
SIM="$EX/data/wellbeing-bank-simulated.csv"
$ML calibrate "$BANK" "$SIM" --simulated --date 2026-12-04 --metric T:50:10 --target 35 60 \
  --description "simulated answers (scripts/calibrate_banks.py)" -o "$OUT/wellbeing-bank.calibrated.yaml"
$ML shortform "$OUT/wellbeing-bank.calibrated.yaml" -n 6 --target 35 60 -o "$OUT/wellbeing-sf6.yaml"
$ML build "$OUT/wellbeing-sf6.yaml" -o "$OUT/wellbeing-sf6.built.yaml"
$ML lint "$OUT/wellbeing-sf6.built.yaml" || true   # test information over the target
$ML render "$OUT/wellbeing-sf6.built.yaml" --format print -o "$OUT/wellbeing-sf6-print.html"
$ML render "$OUT/wellbeing-sf6.built.yaml" --format pdf -o "$OUT/wellbeing-sf6.pdf"
$ML score "$OUT/wellbeing-sf6.built.yaml" "$SIM" -o "$OUT/wellbeing-sf6-scores.csv"
.venv/bin/python -c "import pandas as pd; print(pd.read_csv('$OUT/wellbeing-sf6-scores.csv')[['respondent_id', 't_score', 't_score_se']].head(3).round(2).to_string(index=False))"
$ML export "$OUT/wellbeing-sf6.built.yaml" --to fhir -o "$OUT/wellbeing-sf6.fhir.json"

step "9. DIF by sex on the bfi neuroticism items (IRT likelihood-ratio tests, anchors N3-N5)"
.venv/bin/python - <<'PY'
import pandas as pd
import measurelib as ml
bfi = pd.read_csv("tests/data/bfi.csv")
bfi["sex"] = bfi["gender"].map({1: "male", 2: "female"})
items = ["N1", "N2", "N3", "N4", "N5"]
res = ml.psychometrics.dif(bfi[items + ["sex"]], "sex", anchors=["N3", "N4", "N5"])
print(res.round(3).to_string())
PY

step "10. The calibrated bank as an adaptive test: one person (SIM0002's answers), then 1,000 simulated tests"
# the engine behind the service's one-question-per-page form and FHIR $next-question
.venv/bin/python - "$OUT/wellbeing-bank.calibrated.yaml" "$SIM" <<'PY'
import sys
import numpy as np
import pandas as pd
import measurelib as ml
measure = ml.load(sys.argv[1])
person = pd.read_csv(sys.argv[2]).set_index("respondent_id").loc["SIM0002"]
bank = ml.psychometrics.measure_bank(measure)
mean, sd = measure.calibration.metric.mean, measure.calibration.metric.sd
session = ml.cat.Session(bank, stop="promis", seed=7)
while (item := session.next_item()) is not None:
    scored = ml.scoring.scored_item_values(measure, item, np.array([float(person[item])]))[0]
    category = [float(v) for v in ml.definition.scored_values(measure, item)].index(scored)
    session.answer(item, category)
    print(f"  {item:18s} answer {person[item]}  T {mean + sd * session.theta:5.1f}  "
          f"SE {sd * session.se:4.1f}")
print(f"stopped after {len(session.administered)} of {len(bank.items)} calibrated questions "
      "(PROMIS rule: at least 4; stop when the SE is below 0.3 SD, 3 T points, or at 12)")
print(ml.cat.simulate(bank, 1000, seed=1, stop="promis").summary())
PY

printf '\nDone. Open the files in %s/:\n' "$OUT"
ls -1 "$OUT"
