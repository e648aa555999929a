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
# A 2x2 table with an empty corner cell: the likelihood rises towards -1 but is flat to the
# last bit long before it, and optimize() stops where the last bits of polyF's sum (R sums
# in long double) send it.
flat <- data.frame(x = c(rep(1, 182), rep(1, 9), rep(2, 9)),
                   y = c(rep(1, 182), rep(2, 9), rep(1, 9)))
p <- suppressWarnings(polychoric(flat, smooth = FALSE))
polys[["flat_2x2"]] <- list(rho = p$rho, tau = p$tau, n = p$n.obs)
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

# Fresh seeded data with uniquenesses at the optimiser's bound (Heywood cases), weak and
# binary items, and fewer respondents than items: where a uniqueness sits at the bound,
# optim's L-BFGS-B stops at another point of its tolerance than scipy's.  The data are
# generated here and stored with the results.
make_fresh <- function(seed, n, L, phi = NULL, binary = FALSE) {
  set.seed(seed)
  L <- as.matrix(L); p <- nrow(L); k <- ncol(L)
  if (is.null(phi)) phi <- diag(k)
  f <- matrix(rnorm(n * k), n, k) %*% chol(phi)
  h2 <- pmin(rowSums((L %*% phi) * L), 0.995)
  x <- f %*% t(L) + matrix(rnorm(n * p), n, p) %*% diag(sqrt(1 - h2))
  x <- if (binary) (x > 0.3) * 1 else round(x * 10 + 50, 1)
  colnames(x) <- paste0("V", 1:p)
  x
}
fresh_specs <- list(
  heywood_1f = list(x = make_fresh(11, 200, c(.99, .3, .25, .35)), nf = 1),
  heywood_2f = list(x = make_fresh(12, 60, cbind(c(.95, .5, .4, 0, 0, .1), c(0, 0, .1, .6, .5, .45)),
                                   phi = matrix(c(1, .3, .3, 1), 2)), nf = 2),
  weak_3f = list(x = make_fresh(13, 100, cbind(c(.4, .35, .3, rep(0, 9)),
                                               c(0, 0, 0, .4, .35, .3, .3, rep(0, 5)),
                                               c(rep(0, 7), .45, .4, .35, .3, .3))), nf = 3),
  binary_2f = list(x = make_fresh(14, 100, cbind(c(.8, .7, .6, 0, 0, 0, .1, 0),
                                                 c(0, 0, 0, .7, .6, .5, .5, .9)), binary = TRUE), nf = 2),
  small_n = list(x = make_fresh(15, 10, cbind(c(.8, .7, .6, .5, .5, .4, rep(0, 6)),
                                              c(rep(0, 6), .8, .7, .6, .5, .5, .4))), nf = 2)
)
fresh <- list()
for (nm in names(fresh_specs)) {
  cat("fresh", nm, "\n")
  x <- as.data.frame(fresh_specs[[nm]]$x); nf <- fresh_specs[[nm]]$nf
  rec <- list(nf = nf, data = fresh_specs[[nm]]$x)
  fits <- list()
  for (fm in c("minres", "ml")) for (rot in c("none", "oblimin")) {
    f <- tryCatch(suppressWarnings(fa(x, nfactors = nf, fm = fm, rotate = rot)),
                  error = function(e) conditionMessage(e))
    fits[[paste(fm, rot, sep = "_")]] <- if (is.character(f)) list(error = f) else fa_record(f)
  }
  rec$fa <- fits
  if (ncol(x) >= 6) {
    o <- suppressMessages(suppressWarnings(omega(x, nfactors = 3, plot = FALSE)))
    rec$omega <- omega_record(o, 3)
  }
  fresh[[nm]] <- rec
}
out$fresh <- fresh

writeLines(to_json(out), "tests/reference/psych_factors.json")
cat("wrote tests/reference/psych_factors.json\n")
