# Exports the public datasets used by the golden tests to tests/data/ as CSV.
# Run from the repository root: Rscript tests/reference/export_datasets.R [factor] [irt]
# (no argument: both groups).
#   factor: bfi, Holzinger & Swineford, ability, epi, sat.act; needs Debian's
#           r-cran-psych, r-cran-psychtools and r-cran-lavaan.
#   irt:    LSAT6 and LSAT7 response patterns; needs Debian's r-cran-rpf.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 0L) args <- c("factor", "irt")
stopifnot(all(args %in% c("factor", "irt")))
out <- "tests/data"
versions <- c(R = paste(R.version$major, R.version$minor, sep = "."))

if ("factor" %in% args) {
  write.csv(psychTools::bfi, file.path(out, "bfi.csv"), row.names = FALSE, na = "")
  hs <- lavaan::HolzingerSwineford1939
  write.csv(hs, file.path(out, "holzinger_swineford_1939.csv"), row.names = FALSE, na = "")
  write.csv(as.data.frame(psychTools::ability), file.path(out, "ability.csv"), row.names = FALSE, na = "")
  write.csv(psychTools::epi, file.path(out, "epi.csv"), row.names = FALSE, na = "")
  write.csv(psych::sat.act, file.path(out, "sat_act.csv"), row.names = FALSE, na = "")
  versions <- c(versions, psych = as.character(packageVersion("psych")),
                lavaan = as.character(packageVersion("lavaan")))
}

if ("irt" %in% args) {
  # LSAT6 and LSAT7 (Bock & Lieberman, 1970): the observed response patterns of 1,000
  # examinees to five items with their frequencies, as rpf ships them (`rpf::LSAT6`,
  # `rpf::LSAT7`); the frequency column is written as `freq` for both, answers as 0/1
  lsat_patterns <- function(name) {
    e <- new.env()
    utils::data(list = name, package = "rpf", envir = e)
    d <- as.data.frame(get(name, envir = e))
    names(d)[tolower(names(d)) == "freq"] <- "freq"
    for (j in seq_along(d)) d[[j]] <- as.integer(d[[j]])
    stopifnot(sum(d$freq) == 1000L)
    d
  }
  write.csv(lsat_patterns("LSAT6"), file.path(out, "lsat6_patterns.csv"), row.names = FALSE)
  write.csv(lsat_patterns("LSAT7"), file.path(out, "lsat7_patterns.csv"), row.names = FALSE)
  versions <- c(versions, rpf = as.character(packageVersion("rpf")))
}
cat(paste(names(versions), versions), "\n")
