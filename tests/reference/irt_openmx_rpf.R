# Reference values for measurelib.psychometrics.irt from OpenMx (item factor analysis by
# EM, Pritikin's BA81 expectation) and rpf (response functions, information, EAP).
# Run from the repository root: Rscript tests/reference/irt_openmx_rpf.R
# Needs Debian's r-base-core, r-cran-openmx, r-cran-rpf and r-cran-jsonlite.
#
# The quadrature is mirt's: 61 equally spaced points on [-6, 6] (qpoints = 61,
# qwidth = 6) with normalised N(0, 1) weights. OpenMx's EM stops when the fit no longer
# improves in double precision; the script records the log-likelihood with 10 decimals.
suppressPackageStartupMessages({
  library(OpenMx)
  library(rpf)
  library(jsonlite)
})

fit_ifa <- function(dat, spec, start, labels = NA, free = TRUE) {
  colnames(dat) <- paste0("i", seq_len(ncol(dat)))
  for (j in seq_len(ncol(dat))) dat[[j]] <- mxFactor(dat[[j]], levels = sort(unique(dat[[j]])))
  imat <- mxMatrix(name = "item", values = start, free = free, labels = labels)
  dimnames(imat) <- list(c("f1", paste0("p", seq_len(nrow(start) - 1L))), colnames(dat))
  m <- mxModel("ifa", imat, mxData(dat, type = "raw"),
    mxExpectationBA81(spec, qpoints = 61, qwidth = 6), mxFitFunctionML(),
    mxComputeSequence(list(
      mxComputeEM("expectation", "scores", mxComputeNewtonRaphson(), tolerance = 1e-16,
                  maxIter = 5000L, information = "oakes1999",
                  infoArgs = list(fitfunction = "fitfunction")),
      mxComputeHessianQuality(), mxComputeStandardError())))
  m <- mxRun(m, silent = TRUE)
  list(par = m$item$values, vcov = m$output$vcov,
       loglik = -0.5 * m$output$fit, model = m)
}

out <- list(versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                            OpenMx = as.character(packageVersion("OpenMx")),
                            rpf = as.character(packageVersion("rpf"))))

# LSAT7, 2PL (rpf.grm with 2 outcomes: a, intercept)
d <- read.csv("tests/data/lsat7_patterns.csv")
lsat7 <- d[rep(seq_len(nrow(d)), d$freq), 1:5]
spec <- lapply(1:5, function(j) rpf.grm(outcomes = 2))
f <- fit_ifa(lsat7, spec, matrix(c(1, 0), 2, 5))
se <- matrix(sqrt(diag(f$vcov)), 2)
out$lsat7_2pl <- list(a = f$par[1, ], d = unname(t(f$par[-1, , drop = FALSE])),
                      se_a = se[1, ], se_d = unname(t(se[-1, , drop = FALSE])),
                      loglik = sprintf("%.10f", f$loglik))

# LSAT6, Rasch: one slope shared by all items (label "slope") with N(0, 1), which is the
# parametrisation measurelib estimates (reported as a = 1 and latent variance slope^2)
d6 <- read.csv("tests/data/lsat6_patterns.csv")
lsat6 <- d6[rep(seq_len(nrow(d6)), d6$freq), 1:5]
spec <- lapply(1:5, function(j) rpf.grm(outcomes = 2))
labs <- matrix(c("slope", NA), 2, 5)
f <- fit_ifa(lsat6, spec, matrix(c(1, 0), 2, 5), labels = labs)
se <- sqrt(diag(f$vcov))
out$lsat6_rasch <- list(slope = f$par[1, 1], d = unname(f$par[2, ]),
                        se_slope = unname(se["slope"]),
                        se_d = unname(se[names(se) != "slope"]),
                        loglik = sprintf("%.10f", f$loglik))

# Science (392 x 4, categories 1..4), graded
sci <- read.csv("tests/data/science.csv")
spec <- lapply(1:4, function(j) rpf.grm(outcomes = 4))
f <- fit_ifa(sci, spec, matrix(c(1, 2, 0, -2), 4, 4))
se <- matrix(sqrt(diag(f$vcov)), 4)
graded <- f$par
out$science_graded <- list(a = f$par[1, ], d = unname(t(f$par[-1, ])),
                           se_a = se[1, ], se_d = unname(t(se[-1, ])),
                           loglik = sprintf("%.10f", f$loglik))

# Science, generalized partial credit: rpf.nrm(T.a = "trend", T.c = "id") with the scoring
# parameters fixed at (1, 0, 0) is the GPCM with slope a and intercepts d_1..d_3
spec <- lapply(1:4, function(j) rpf.nrm(outcomes = 4, T.a = "trend", T.c = "id"))
start <- matrix(c(1, 1, 0, 0, 1, 1.5, 1), 7, 4)
free <- matrix(c(TRUE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE), 7, 4)
f <- fit_ifa(sci, spec, start, free = free)
se <- sqrt(diag(f$vcov))
se <- matrix(se, 4)  # free parameters in column order: a, d1, d2, d3 per item
out$science_gpcm <- list(a = f$par[1, ], d = unname(t(f$par[5:7, ])),
                         se_a = se[1, ], se_d = unname(t(se[-1, ])),
                         loglik = sprintf("%.10f", f$loglik))

# rpf at the graded Science parameters: probabilities, item information, EAP scores and
# the EAP-for-summed-scores table on the same grid
theta <- c(-2, -0.5, 0, 1.3)
spec <- lapply(1:4, function(j) rpf.grm(outcomes = 4))
out$rpf_graded <- list(
  theta = theta,
  par = unname(t(graded)),
  prob = lapply(1:4, function(j) unname(rpf.prob(spec[[j]], graded[, j], matrix(theta, nrow = 1)))),
  info = lapply(1:4, function(j) as.numeric(rpf.info(spec[[j]], graded[, j], matrix(theta, nrow = 1)))))
sci_f <- sci
colnames(sci_f) <- paste0("i", 1:4)
for (j in 1:4) sci_f[[j]] <- mxFactor(sci_f[[j]], levels = 1:4)
colnames(graded) <- paste0("i", 1:4)
grp <- list(spec = spec, param = graded, mean = 0, cov = matrix(1), data = sci_f,
            qpoints = 61L, qwidth = 6)
eap <- EAPscores(grp)
out$rpf_graded$eap_first10 <- unname(eap[1:10, 1])
out$rpf_graded$eap_se_first10 <- unname(eap[1:10, 2])
tab <- sumScoreEAP(grp)
out$rpf_graded$sum_score <- list(p = unname(tab[, 1]), theta = unname(tab[, 2]),
                                 se = unname(tab[, 3]))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/irt_openmx_rpf.json")
cat("R", out$versions$R, "OpenMx", out$versions$OpenMx, "rpf", out$versions$rpf, "\n")
