# Reference values for measurelib.psychometrics.irt from OpenMx (item factor analysis by
# EM, Pritikin's BA81 expectation) and rpf (response functions, information, EAP).
# Run from the repository root: Rscript tests/reference/irt_openmx_rpf.R
# Needs Debian's r-base-core, r-cran-openmx, r-cran-rpf and r-cran-jsonlite.
#
# The quadrature is mirt's: 61 equally spaced points on [-6, 6] (qpoints = 61,
# qwidth = 6) with normalised N(0, 1) weights. OpenMx's EM stops when the fit no longer
# improves in double precision, which on a flat likelihood (a steep item, as the third
# synthetic item) leaves estimates up to ~6e-5 from the maximum. The script therefore
# polishes the EM solution with Newton steps on OpenMx's own fit: OpenMx's analytic
# gradient of -2 log L and a Hessian by its numerical differences (mxComputeNumericDeriv),
# until a step changes no parameter by more than 1e-6. The standard errors are OpenMx's
# (Oakes's identity) at the EM solution. The script records the log-likelihood with 10
# decimals, the EM's and the polished one, and the largest gradient element left.
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
  vcov <- m$output$vcov
  loglik_em <- -0.5 * m$output$fit
  deriv <- function(m) {
    mxRun(mxModel(m, mxComputeSequence(list(
      mxComputeOnce("fitfunction", c("fit", "gradient")),
      mxComputeNumericDeriv(checkGradient = FALSE, analytic = FALSE),
      mxComputeReportDeriv()))), silent = TRUE)
  }
  d <- deriv(m)
  for (it in 1:10) {
    p <- omxGetParameters(d)
    step <- solve(d$output$hessian, d$output$gradient)
    trial <- deriv(omxSetParameters(m, labels = names(p), values = p - step))
    if (trial$output$fit > d$output$fit) break
    m <- omxSetParameters(m, labels = names(p), values = p - step)
    d <- trial
    if (max(abs(step)) < 1e-6) break
  }
  list(par = m$item$values, vcov = vcov, loglik = -0.5 * d$output$fit,
       loglik_em = sprintf("%.10f", loglik_em), max_gradient = max(abs(d$output$gradient)),
       model = m)
}

# what the fit records besides the estimates and standard errors
fit_info <- function(f) {
  list(loglik = sprintf("%.10f", f$loglik), loglik_em = f$loglik_em,
       max_gradient = f$max_gradient)
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
out$lsat7_2pl <- c(list(a = f$par[1, ], d = unname(t(f$par[-1, , drop = FALSE])),
                      se_a = se[1, ], se_d = unname(t(se[-1, , drop = FALSE]))),
                      fit_info(f))

# LSAT6, Rasch: one slope shared by all items (label "slope") with N(0, 1), which is the
# parametrisation measurelib estimates (reported as a = 1 and latent variance slope^2)
d6 <- read.csv("tests/data/lsat6_patterns.csv")
lsat6 <- d6[rep(seq_len(nrow(d6)), d6$freq), 1:5]
spec <- lapply(1:5, function(j) rpf.grm(outcomes = 2))
labs <- matrix(c("slope", NA), 2, 5)
f <- fit_ifa(lsat6, spec, matrix(c(1, 0), 2, 5), labels = labs)
se <- sqrt(diag(f$vcov))
out$lsat6_rasch <- c(list(slope = f$par[1, 1], d = unname(f$par[2, ]),
                        se_slope = unname(se["slope"]),
                        se_d = unname(se[names(se) != "slope"])),
                        fit_info(f))

# A steep 2PL item (true slope 8, estimate about 8.2; 100 respondents, data simulated here
# with R's generator and stored in the JSON). At such slopes both boundary curves of a
# category round to 1 at the far quadrature points; measurelib once computed the category
# probability as their difference, got exactly 0 there and stopped at a slope of 5.8
# (log-likelihood 0.0026 below the maximum).
set.seed(20261205)
th <- rnorm(100)
a_true <- c(0.8, 0.6, 1.8, 0.5, 8)
d_true <- c(0, -1.9, -4.4, -1.3, 4.5)
steep <- as.data.frame(sapply(1:5, function(j) as.integer(runif(100) < plogis(a_true[j] * th + d_true[j]))))
spec <- lapply(1:5, function(j) rpf.grm(outcomes = 2))
f <- fit_ifa(steep, spec, matrix(c(1, 0), 2, 5))
se <- matrix(sqrt(diag(f$vcov)), 2)
out$steep_2pl <- c(list(data = unname(as.matrix(steep)), a = f$par[1, ],
                        d = unname(t(f$par[-1, , drop = FALSE])),
                        se_a = se[1, ], se_d = unname(t(se[-1, , drop = FALSE]))),
                   fit_info(f))

# Synthetic graded data (tests/data/irt_graded_synthetic.csv, 400 x 4, categories 1..4,
# written by tests/reference/make_irt_synthetic.py), graded
syn <- read.csv("tests/data/irt_graded_synthetic.csv")
spec <- lapply(1:4, function(j) rpf.grm(outcomes = 4))
f <- fit_ifa(syn, spec, matrix(c(1, 2, 0, -2), 4, 4))
se <- matrix(sqrt(diag(f$vcov)), 4)
graded <- f$par
out$synthetic_graded <- c(list(a = f$par[1, ], d = unname(t(f$par[-1, ])),
                             se_a = se[1, ], se_d = unname(t(se[-1, ]))),
                             fit_info(f))

# The same data, generalized partial credit: rpf.nrm(T.a = "trend", T.c = "id") with the
# scoring parameters fixed at (1, 0, 0) is the GPCM with slope a and intercepts d_1..d_3
gpcm_start <- c(1, 1, 0, 0, 1, 1.5, 1)
gpcm_free <- c(TRUE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE)
spec <- lapply(1:4, function(j) rpf.nrm(outcomes = 4, T.a = "trend", T.c = "id"))
f <- fit_ifa(syn, spec, matrix(gpcm_start, 7, 4), free = matrix(gpcm_free, 7, 4))
se <- sqrt(diag(f$vcov))
se <- matrix(se, 4)  # free parameters in column order: a, d1, d2, d3 per item
out$synthetic_gpcm <- c(list(a = f$par[1, ], d = unname(t(f$par[5:7, ])),
                           se_a = se[1, ], se_d = unname(t(se[-1, ]))),
                           fit_info(f))

# Synthetic mixed data (tests/data/irt_mixed_synthetic.csv): items 1-3 graded, item 4
# GPCM, as measurelib's model = {"item4": "gpcm"} and mirt's itemtype vector. The graded
# items use the first 4 rows of the item matrix; the rest are fixed and unused.
mix <- read.csv("tests/data/irt_mixed_synthetic.csv")
spec <- c(lapply(1:3, function(j) rpf.grm(outcomes = 4)),
          list(rpf.nrm(outcomes = 4, T.a = "trend", T.c = "id")))
start <- cbind(matrix(c(1, 2, 0, -2, 0, 0, 0), 7, 3), gpcm_start)
free <- cbind(matrix(rep(c(TRUE, FALSE), c(4, 3)), 7, 3), gpcm_free)
f <- fit_ifa(mix, spec, start, free = free)
se <- matrix(sqrt(diag(f$vcov)), 4)
d <- rbind(t(f$par[2:4, 1:3]), f$par[5:7, 4])
out$synthetic_mixed <- c(list(a = f$par[1, ], d = unname(d),
                            se_a = se[1, ], se_d = unname(t(se[-1, ]))),
                            fit_info(f))

# rpf at the graded parameters of the synthetic data: probabilities, item information,
# EAP scores, the EAP-for-summed-scores table on the same grid and local dependence
theta <- c(-2, -0.5, 0, 1.3)
spec <- lapply(1:4, function(j) rpf.grm(outcomes = 4))
out$rpf_graded <- list(
  theta = theta,
  par = unname(t(graded)),
  prob = lapply(1:4, function(j) unname(rpf.prob(spec[[j]], graded[, j], matrix(theta, nrow = 1)))),
  info = lapply(1:4, function(j) as.numeric(rpf.info(spec[[j]], graded[, j], matrix(theta, nrow = 1)))))
syn_f <- syn
colnames(syn_f) <- paste0("i", 1:4)
for (j in 1:4) syn_f[[j]] <- mxFactor(syn_f[[j]], levels = 1:4)
colnames(graded) <- paste0("i", 1:4)
grp <- list(spec = spec, param = graded, mean = 0, cov = matrix(1), data = syn_f,
            qpoints = 61L, qwidth = 6)
eap <- EAPscores(grp)
out$rpf_graded$eap_first10 <- unname(eap[1:10, 1])
out$rpf_graded$eap_se_first10 <- unname(eap[1:10, 2])
tab <- sumScoreEAP(grp)
out$rpf_graded$sum_score <- list(p = unname(tab[, 1]), theta = unname(tab[, 2]),
                                 se = unname(tab[, 3]))
# Chen & Thissen (1997) local dependence: rpf collapses sparse cells before its X2; the
# uncollapsed Pearson X2 of each pair's observed against its model-expected table (mirt's
# residuals(type = "LD")) is computed from rpf's tables, with the sign of the difference
# of observed and expected gamma. Pairs as (first item, second item), 1-based.
ct <- ChenThissen1997(grp)
pairs <- do.call(rbind, lapply(strsplit(names(ct$detail), ":"), function(p)
  sort(match(p, colnames(graded)))))
out$rpf_graded$ld <- list(
  pair = unname(pairs),
  x2 = unname(vapply(ct$detail, function(x)
    sum((x$orig.observed - x$orig.expected)^2 / x$orig.expected), numeric(1))),
  sign = unname(vapply(ct$detail, function(x) x$sign, numeric(1))))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/irt_openmx_rpf.json")
cat("R", out$versions$R, "OpenMx", out$versions$OpenMx, "rpf", out$versions$rpf, "\n")
