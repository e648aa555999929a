# Exports the public datasets used by the golden tests to tests/data/ as CSV.
# Run from the repository root: Rscript tests/reference/export_datasets.R
# Needs Debian's r-base-core, r-cran-psych, r-cran-psychtools and r-cran-lavaan.
suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(lavaan)
})
out <- "tests/data"
write.csv(psychTools::bfi, file.path(out, "bfi.csv"), row.names = FALSE, na = "")
hs <- lavaan::HolzingerSwineford1939
write.csv(hs, file.path(out, "holzinger_swineford_1939.csv"), row.names = FALSE, na = "")
write.csv(as.data.frame(psychTools::ability), file.path(out, "ability.csv"), row.names = FALSE, na = "")
write.csv(psychTools::epi, file.path(out, "epi.csv"), row.names = FALSE, na = "")
write.csv(psych::sat.act, file.path(out, "sat_act.csv"), row.names = FALSE, na = "")
cat("R", R.version$major, R.version$minor, "psych", as.character(packageVersion("psych")),
    "lavaan", as.character(packageVersion("lavaan")), "\n")
