# Reference values for the reliability and agreement golden tests.
#
# Run from the repository root:
#     Rscript tests/reference/psych_reliability.R
# It reads the CSV files in tests/data/ and writes tests/reference/psych_reliability.json,
# which tests/golden/test_psych_reliability.py compares against to 1e-6.
# Needs R with psych and lme4 (checked with R 4.2.2, psych 2.2.9, lme4 1.1-31; Debian:
# r-cran-psych, r-cran-psychtools, r-cran-lme4). No JSON package is needed:
# a small writer below prints numbers with 17 significant digits.
suppressPackageStartupMessages(library(psych))

data_dir <- "tests/data"
out_file <- "tests/reference/psych_reliability.json"

# ------------------------------------------------------------------ minimal JSON writer
json_num <- function(x) {
  if (length(x) == 0) return("[]")
  s <- ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
  s
}
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 2)
  end <- strrep(" ", indent)
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      parts <- vapply(names(x), function(k) {
        paste0(pad, "\"", k, "\": ", to_json(x[[k]], indent + 2))
      }, character(1))
      return(paste0("{\n", paste(parts, collapse = ",\n"), "\n", end, "}"))
    }
    parts <- vapply(x, function(v) paste0(pad, to_json(v, indent + 2)), character(1))
    return(paste0("[\n", paste(parts, collapse = ",\n"), "\n", end, "]"))
  }
  if (is.character(x)) {
    if (length(x) == 0) return("[]")
    s <- paste0("\"", x, "\"")
    if (!is.null(names(x))) {
      return(paste0("{", paste0("\"", names(x), "\": ", s, collapse = ", "), "}"))
    }
    if (length(x) == 1) return(s)
    return(paste0("[", paste(s, collapse = ", "), "]"))
  }
  if (is.logical(x) && length(x) == 1 && !is.na(x)) return(if (x) "true" else "false")
  nm <- names(x)
  x <- as.numeric(x)
  s <- json_num(x)
  if (!is.null(nm)) {
    return(paste0("{", paste0("\"", nm, "\": ", s, collapse = ", "), "}"))
  }
  if (length(x) == 1) return(s)
  paste0("[", paste(s, collapse = ", "), "]")
}
named <- function(v, nms) { v <- as.numeric(v); names(v) <- nms; v }

# ------------------------------------------------------------------ data
bfi <- read.csv(file.path(data_dir, "bfi.csv"))
ability <- read.csv(file.path(data_dir, "ability.csv"), check.names = FALSE)
epi <- read.csv(file.path(data_dir, "epi.csv"))
hs <- read.csv(file.path(data_dir, "holzinger_swineford_1939.csv"))
sat <- read.csv(file.path(data_dir, "sat_act.csv"))

bfi_items <- paste0(rep(c("A", "C", "E", "N", "O"), each = 5), 1:5)
bfi_rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
epi_E <- c("V1", "V3", "V8", "V10", "V13", "V17", "V22", "V25", "V27", "V39", "V44", "V46",
           "V49", "V53", "V56", "V5", "V15", "V20", "V29", "V32", "V34", "V37", "V41", "V51")
epi_E_rev <- c("V5", "V15", "V20", "V29", "V32", "V34", "V37", "V41", "V51")

# ------------------------------------------------------------------ alpha cases
# Each case: a data frame of items and the names of items to reverse (psych's `keys`
# given as names: reversed as max + min - x with the pooled min and max of all items).
alpha_case <- function(x, keys = NULL, listwise = FALSE) {
  if (listwise) x <- na.omit(x)
  a <- if (is.null(keys)) alpha(x, warnings = FALSE) else alpha(x, keys = keys, warnings = FALSE)
  items <- colnames(x)
  ase <- a$total$ase
  raw <- a$total$raw_alpha
  list(
    items = items,
    keys = if (is.null(keys)) character(0) else keys,
    listwise = listwise,
    n_rows = nrow(x),
    raw_alpha = raw,
    std_alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    ase = ase,
    feldt = named(c(a$feldt$lower.ci, a$feldt$upper.ci), c("lower", "upper")),
    duhachek = named(c(raw - 1.96 * ase, raw + 1.96 * ase), c("lower", "upper")),
    alpha_drop_raw = named(a$alpha.drop$raw_alpha, items),
    alpha_drop_std = named(a$alpha.drop$std.alpha, items),
    alpha_drop_average_r = named(a$alpha.drop$average_r, items),
    r_drop = named(a$item.stats$r.drop, items),
    raw_r = named(a$item.stats$raw.r, items),
    item_mean = named(a$item.stats$mean, items),
    item_sd = named(a$item.stats$sd, items),
    item_n = named(a$item.stats$n, items)
  )
}

alpha_cases <- list(
  bfi_all_keyed = alpha_case(bfi[bfi_items], keys = bfi_rev),
  bfi_all_keyed_listwise = alpha_case(bfi[bfi_items], keys = bfi_rev, listwise = TRUE),
  bfi_A_keyed = alpha_case(bfi[paste0("A", 1:5)], keys = "A1"),
  bfi_C_keyed = alpha_case(bfi[paste0("C", 1:5)], keys = c("C4", "C5")),
  bfi_N = alpha_case(bfi[paste0("N", 1:5)]),
  ability = alpha_case(ability),
  ability_listwise = alpha_case(ability, listwise = TRUE),
  epi_E_keyed = alpha_case(epi[epi_E], keys = epi_E_rev),
  holzinger_x1_x9 = alpha_case(hs[paste0("x", 1:9)]),
  sat_act_3 = alpha_case(sat[c("ACT", "SATV", "SATQ")])
)

# Ordinal alpha: alpha(polychoric(x)$rho) on the keyed bfi agreeableness items.
ordinal_case <- function(x, keys) {
  mx <- max(x, na.rm = TRUE); mn <- min(x, na.rm = TRUE)
  for (k in keys) x[[k]] <- mx + mn - x[[k]]
  rho <- polychoric(x)$rho
  a <- alpha(rho, warnings = FALSE)
  a_n <- alpha(rho, n.obs = nrow(x), warnings = FALSE)
  items <- colnames(x)
  list(items = items, keys = keys, n_rows = nrow(x),
       raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
       average_r = a$total$average_r,
       ase_n_obs = a_n$total$ase,
       alpha_drop_raw = named(a$alpha.drop$raw_alpha, items),
       r_drop = named(a$item.stats$r.drop, items),
       rho = unname(as.list(as.data.frame(rho))))
}
ordinal_cases <- list(
  bfi_A_keyed = ordinal_case(bfi[paste0("A", 1:5)], "A1"),
  bfi_C_keyed = ordinal_case(bfi[paste0("C", 1:5)], c("C4", "C5"))
)

# Omega on the keyed 25 bfi items (psych::omega, 3 group factors, minres, oblimin).
omega_case <- function(x, keys, nfactors = 3) {
  mx <- max(x, na.rm = TRUE); mn <- min(x, na.rm = TRUE)
  for (k in keys) x[[k]] <- mx + mn - x[[k]]
  o <- suppressWarnings(omega(x, nfactors = nfactors, plot = FALSE))
  list(items = colnames(x), keys = keys, nfactors = nfactors,
       omega_total = o$omega.tot, omega_hierarchical = o$omega_h, alpha = o$alpha)
}
omega_cases <- list(
  bfi_all_keyed = omega_case(bfi[bfi_items], bfi_rev, 5),
  holzinger_x1_x9 = omega_case(hs[paste0("x", 1:9)], character(0), 3)
)

# Bootstrapped CI (psych resamples rows, pairwise covariances, quantile type 7). Not
# reproducible across languages, nor from run to run in R (psych resamples in forked
# mclapply workers): the tests compare it loosely.
set.seed(42)
boot_bfi_A <- alpha(bfi[paste0("A", 1:5)], keys = "A1", n.iter = 1000, warnings = FALSE)$boot.ci

# ------------------------------------------------------------------ ICC cases
# lmer = FALSE: the two-way ANOVA mean squares (complete rows only); with complete data and
# positive variance components psych's default lmer = TRUE path gives the same numbers.
icc_case <- function(x, lmer = FALSE) {
  x <- na.omit(x)
  r <- suppressMessages(ICC(x, lmer = lmer))$results
  list(columns = colnames(x), n = nrow(x), k = ncol(x),
       type = r$type,
       ICC = named(r$ICC, r$type), F = named(r$F, r$type),
       df1 = named(r$df1, r$type), df2 = named(r$df2, r$type), p = named(r$p, r$type),
       lower = named(r$`lower bound`, r$type), upper = named(r$`upper bound`, r$type))
}
# Shrout & Fleiss (1979) table 2: 6 targets rated by 4 judges.
sf <- data.frame(J1 = c(9, 6, 8, 7, 10, 6), J2 = c(2, 1, 4, 1, 5, 2),
                 J3 = c(5, 3, 6, 2, 6, 4), J4 = c(8, 2, 8, 6, 9, 7))
icc_cases <- list(
  shrout_fleiss_1979 = c(icc_case(sf), list(data = unname(as.list(sf)))),
  holzinger_x1_x3 = icc_case(hs[c("x1", "x2", "x3")]),
  holzinger_x4_x6 = icc_case(hs[c("x4", "x5", "x6")]),
  sat_act_satv_satq = icc_case(sat[c("SATV", "SATQ")]),
  bfi_A2_A5 = icc_case(bfi[paste0("A", 2:5)]),
  epi_V1_V5 = icc_case(epi[paste0("V", 1:5)])
)

# psych's default lmer = TRUE (REML variance components, lme4): equal to the ANOVA
# numbers up to lme4's tolerance unless a variance component would be negative (then REML
# puts it at zero); the tests compare these more loosely (lme4 stops at ~1e-6 relative).
set.seed(3)
n_tr <- 60; t_tr <- rnorm(n_tr)
retest <- data.frame(t1 = round(t_tr + rnorm(n_tr, 0, .5), 2),
                     t2 = round(t_tr + rnorm(n_tr, 0, .5), 2))
icc_reml_cases <- list(
  holzinger_x1_x3 = icc_case(hs[c("x1", "x2", "x3")], lmer = TRUE),
  sat_act_satv_satq = icc_case(sat[c("SATV", "SATQ")], lmer = TRUE),
  simulated_retest = c(icc_case(retest, lmer = TRUE), list(data = unname(as.list(retest)))),
  shrout_fleiss_1979 = c(icc_case(sf, lmer = TRUE), list(data = unname(as.list(sf))))
)

# ------------------------------------------------------------------ correlations
cor_case <- function(a, b, method) {
  ct <- corr.test(a, b, method = method)
  list(method = method, r = as.numeric(ct$r), n = as.numeric(ct$n), p = as.numeric(ct$p),
       lower = as.numeric(ct$ci$lower), upper = as.numeric(ct$ci$upper))
}
cor_cases <- list(
  sat_satv_satq_pearson = cor_case(sat$SATV, sat$SATQ, "pearson"),
  sat_satv_satq_spearman = cor_case(sat$SATV, sat$SATQ, "spearman"),
  sat_act_satq_pearson = cor_case(sat$ACT, sat$SATQ, "pearson"),
  hs_x1_x4_spearman = cor_case(hs$x1, hs$x4, "spearman")
)

out <- list(
  generated_by = "tests/reference/psych_reliability.R",
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  psych_version = as.character(packageVersion("psych")),
  alpha = alpha_cases,
  ordinal_alpha = ordinal_cases,
  omega = omega_cases,
  bootstrap = list(bfi_A_keyed = list(seed = 42, n_iter = 1000,
                                      ci = named(boot_bfi_A, c("lower", "median", "upper")))),
  icc = icc_cases,
  icc_reml = icc_reml_cases,
  correlation = cor_cases
)
writeLines(to_json(out), out_file)
cat("wrote", out_file, "\n")
