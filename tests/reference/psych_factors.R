# Reference values for the factor-structure golden tests (tests/golden/test_factors_golden.py).
# Run from the repository root:  Rscript tests/reference/psych_factors.R
# Needs R >= 4.2 with psych 2.2.9, psychTools, GPArotation (Debian: r-cran-psych,
# r-cran-gparotation).  Writes tests/reference/psych_factors.json.  No JSON package is
# needed: a small writer below keeps 17 significant digits.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
})
options(warn = 1)

to_json <- function(x) {
  num <- function(v) {
    ifelse(is.na(v) | is.nan(v) | is.infinite(v), "null", sprintf("%.17g", v))
  }
  if (is.null(x)) return("null")
  if (is.list(x)) {
    nm <- names(x)
    parts <- vapply(seq_along(x), function(i) to_json(x[[i]]), "")
    if (is.null(nm)) return(paste0("[", paste(parts, collapse = ","), "]"))
    return(paste0("{", paste(sprintf("\"%s\":%s", nm, parts), collapse = ","), "}"))
  }
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) as.vector(x[i, ]))
    out <- list(rows = rownames(x), cols = colnames(x),
                data = lapply(rows, function(r) I(r)))
    return(to_json_matrix(x))
  }
  if (is.character(x)) {
    s <- sprintf("\"%s\"", x)
    if (length(x) == 1 && is.null(attr(x, "asvec"))) return(s)
    return(paste0("[", paste(s, collapse = ","), "]"))
  }
  if (is.logical(x)) x <- as.numeric(x)
  v <- num(as.numeric(x))
  if (length(x) == 1 && is.null(names(x))) return(v)
  paste0("[", paste(v, collapse = ","), "]")
}
to_json_matrix <- function(m) {
  rn <- rownames(m); cn <- colnames(m)
  rows <- vapply(seq_len(nrow(m)), function(i) {
    v <- as.numeric(m[i, ])
    paste0("[", paste(ifelse(is.na(v) | is.infinite(v), "null", sprintf("%.17g", v)), collapse = ","), "]")
  }, "")
  sq <- function(s) if (is.null(s)) "null" else paste0("[", paste(sprintf("\"%s\"", s), collapse = ","), "]")
  paste0("{\"rows\":", sq(rn), ",\"cols\":", sq(cn), ",\"data\":[", paste(rows, collapse = ","), "]}")
}
vec <- function(v) { v <- as.numeric(v); attr(v, "asvec") <- TRUE; I(v) }
lvec <- function(v) as.list(as.numeric(v))

fa_record <- function(f) {
  s <- f
  list(
    loadings = unclass(f$loadings)[, , drop = FALSE],
    Phi = if (is.null(f$Phi)) NULL else f$Phi,
    communality = lvec(f$communality),
    uniquenesses = lvec(f$uniquenesses),
    values = lvec(f$values),
    e_values = lvec(f$e.values),
    Vaccounted = f$Vaccounted,
    dof = s$dof, objective = s$objective, STATISTIC = if (is.null(s$STATISTIC)) NA else s$STATISTIC,
    PVAL = if (is.null(s$PVAL)) NA else s$PVAL,
    null_chisq = if (is.null(s$null.chisq)) NA else s$null.chisq,
    null_dof = s$null.dof, null_model = s$null.model,
    TLI = if (is.null(s$TLI)) NA else s$TLI,
    RMSEA = if (is.null(s$RMSEA)) list(NA, NA, NA) else lvec(s$RMSEA[1:3]),
    BIC = if (is.null(s$BIC)) NA else s$BIC,
    SABIC = if (is.null(s$SABIC)) NA else s$SABIC,
    rms = s$rms, crms = s$crms, chi = s$chi, EPVAL = s$EPVAL, EBIC = s$EBIC,
    fit = s$fit, fit_off = s$fit.off, complexity = lvec(s$complexity)
  )
}

omega_record <- function(o, nf) {
  sl <- o$schmid$sl
  list(omega_h = o$omega_h, omega_tot = o$omega.tot, alpha = o$alpha, omega_lim = o$omega.lim,
       G6 = o$G6, ECV = as.numeric(o$ECV), sl = sl, omega_group = as.matrix(o$omega.group),
       phi = o$schmid$phi, gloading = lvec(o$schmid$gloading), key = lvec(o$key))
}

read <- function(f) read.csv(file.path("tests/data", f))
bfi <- read("bfi.csv")[, 1:25]
hs <- read("holzinger_swineford_1939.csv")[, paste0("x", 1:9)]
ability <- read("ability.csv")
epi <- read("epi.csv")
sat <- read("sat_act.csv")[, c("ACT", "SATV", "SATQ")]

datasets <- list(
  bfi = list(x = bfi, nf = 5),
  holzinger = list(x = hs, nf = 3),
  ability = list(x = ability, nf = 4),
  epi = list(x = epi, nf = 3),
  sat_act = list(x = sat, nf = 1)
)

out <- list(meta = list(R = paste(R.version$major, R.version$minor, sep = "."),
                        psych = as.character(packageVersion("psych")),
                        GPArotation = as.character(packageVersion("GPArotation"))))
for (dn in names(datasets)) {
  cat("dataset", dn, "\n")
  x <- datasets[[dn]]$x
  nf <- datasets[[dn]]$nf
  rec <- list(n = nrow(x), nf = nf)
  r <- cor(x, use = "pairwise")
  rec$cor <- r
  k <- KMO(x)
  rec$kmo <- list(MSA = k$MSA, MSAi = lvec(k$MSAi))
  b <- suppressMessages(cortest.bartlett(x))
  rec$bartlett <- list(chisq = b$chisq, df = b$df, p = b$p.value)
  set.seed(42)
  fp <- suppressWarnings(fa.parallel(x, fa = "both", plot = FALSE, n.iter = 20))
  rec$parallel <- list(pc_values = lvec(fp$pc.values), fa_values = lvec(fp$fa.values),
                       pc_sim = lvec(fp$pc.sim), fa_sim = lvec(fp$fa.sim),
                       pc_simr = lvec(fp$pc.simr), fa_simr = lvec(fp$fa.simr),
                       nfact = fp$nfact, ncomp = fp$ncomp)
  fits <- list()
  for (fm in c("minres", "ml", "pa")) {
    rots <- if (nf > 1) c("oblimin", "varimax", "promax", "none", "quartimax", "geominQ") else c("none")
    for (rot in rots) {
      f <- tryCatch(suppressWarnings(fa(x, nfactors = nf, fm = fm, rotate = rot)),
                    error = function(e) NULL)
      if (!is.null(f)) fits[[paste(fm, rot, sep = "_")]] <- fa_record(f)
    }
  }
  rec$fa <- fits
  out[[dn]] <- rec
}

# polychoric / tetrachoric-by-polychoric
polys <- list()
for (dn in c("bfi", "ability", "epi")) {
  cat("polychoric", dn, "\n")
  p <- suppressWarnings(polychoric(datasets[[dn]]$x))
  polys[[dn]] <- list(rho = p$rho, tau = p$tau, n = p$n.obs)
}
# items with unequal numbers of categories (global = FALSE, continuity correction)
mixed <- bfi[, 1:6]
mixed$A1[mixed$A1 == 6] <- 5
p <- suppressWarnings(polychoric(mixed))
polys[["bfi_unequal"]] <- list(rho = p$rho, tau = p$tau, n = p$n.obs)
out$polychoric <- polys

# factor analysis of polychoric correlations
f <- suppressWarnings(fa(bfi, nfactors = 5, cor = "poly"))
out$fa_poly_bfi <- fa_record(f)
f <- suppressWarnings(fa(ability, nfactors = 4, cor = "poly"))
out$fa_poly_ability <- fa_record(f)

# omega
oms <- list()
o <- suppressMessages(suppressWarnings(omega(bfi, nfactors = 5, plot = FALSE)))
oms$bfi_5 <- omega_record(o, 5)
o <- suppressMessages(suppressWarnings(omega(bfi[, 1:10], nfactors = 3, plot = FALSE)))
oms$bfi_AC_3 <- omega_record(o, 3)
o <- suppressMessages(suppressWarnings(omega(hs, nfactors = 3, plot = FALSE)))
oms$holzinger_3 <- omega_record(o, 3)
o <- suppressMessages(suppressWarnings(omega(hs, nfactors = 3, fm = "ml", plot = FALSE)))
oms$holzinger_3_ml <- omega_record(o, 3)
o <- suppressMessages(suppressWarnings(omega(hs, nfactors = 2, plot = FALSE)))
oms$holzinger_2 <- omega_record(o, 2)
o <- suppressMessages(suppressWarnings(omega(ability, nfactors = 4, poly = TRUE, plot = FALSE)))
oms$ability_4_poly <- omega_record(o, 4)
o <- suppressMessages(suppressWarnings(omega(epi, nfactors = 3, plot = FALSE)))
oms$epi_3 <- omega_record(o, 3)
out$omega <- oms

writeLines(to_json(out), "tests/reference/psych_factors.json")
cat("wrote tests/reference/psych_factors.json\n")
