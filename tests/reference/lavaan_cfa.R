# Reference values for measurelib.psychometrics.cfa / invariance, computed with lavaan.
# Run from the repository root:  Rscript tests/reference/lavaan_cfa.R
# Writes tests/reference/lavaan_cfa.json (R 4.2.2, lavaan 0.6.14 when generated).
# Needs only base R and lavaan (the JSON writer below avoids jsonlite).
suppressPackageStartupMessages(library(lavaan))

num <- function(x) {
  if (length(x) == 0 || is.null(x)) return("null")
  if (is.na(x) || !is.finite(x)) return("null")
  sprintf("%.17g", x)
}
str_json <- function(x) paste0('"', gsub('"', '\\\\"', x), '"')
list_json <- function(x) {
  # named numeric vector/list -> JSON object
  keys <- names(x)
  parts <- vapply(seq_along(x), function(i) paste0(str_json(keys[i]), ": ", num(as.numeric(x[[i]]))), "")
  paste0("{", paste(parts, collapse = ", "), "}")
}
frame_json <- function(df) {
  df <- as.data.frame(df)
  rows <- vapply(seq_len(nrow(df)), function(i) {
    parts <- vapply(names(df), function(col) {
      v <- df[[col]][i]
      if (is.character(v) || is.factor(v)) paste0(str_json(col), ": ", str_json(as.character(v)))
      else paste0(str_json(col), ": ", num(as.numeric(v)))
    }, "")
    paste0("{", paste(parts, collapse = ", "), "}")
  }, "")
  paste0("[", paste(rows, collapse = ",\n  "), "]")
}

fit_entry <- function(fit, mi = TRUE) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))
  pe <- pe[, keep]
  if (!"group" %in% names(pe)) pe$group <- 1L
  std <- standardizedSolution(fit)
  if (!"group" %in% names(std)) std$group <- 1L
  std <- std[, c("lhs", "op", "rhs", "group", "est.std")]
  parts <- c(
    paste0('"fit": ', list_json(as.list(fm))),
    paste0('"estimates": ', frame_json(pe)),
    paste0('"std_all": ', frame_json(std)),
    paste0('"converged": ', if (lavInspect(fit, "converged")) "true" else "false"),
    paste0('"n": ', num(lavInspect(fit, "ntotal")))
  )
  if (mi) {
    m <- modindices(fit)
    if (!"group" %in% names(m)) m$group <- 1L
    m <- m[, c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all")]
    parts <- c(parts, paste0('"modindices": ', frame_json(m)))
  }
  paste0("{", paste(parts, collapse = ",\n"), "}")
}

hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
bfi <- read.csv("tests/data/bfi.csv")
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
big5 <- paste(
  "agree =~ A1 + A2 + A3 + A4 + A5",
  "consc =~ C1 + C2 + C3 + C4 + C5",
  "extra =~ E1 + E2 + E3 + E4 + E5",
  "neuro =~ N1 + N2 + N3 + N4 + N5",
  "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")

out <- list()
out$hs_ml <- fit_entry(cfa(hs_model, data = hs))
out$hs_ml_stdlv <- fit_entry(cfa(hs_model, data = hs, std.lv = TRUE))
out$hs_ml_cov <- fit_entry(cfa(paste(hs_model, "x7 ~~ x8", sep = "\n"), data = hs))
out$hs_mlr <- fit_entry(cfa(hs_model, data = hs, estimator = "MLR"))

configural <- cfa(hs_model, data = hs, group = "school")
metric <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings")
scalar <- cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts"))
out$hs_configural <- fit_entry(configural)
out$hs_metric <- fit_entry(metric)
out$hs_scalar <- fit_entry(scalar)
lrt <- lavTestLRT(configural, metric, scalar)
out$hs_lrt <- frame_json(data.frame(Df = lrt$Df, Chisq = lrt$Chisq,
                                    Chisq_diff = lrt[["Chisq diff"]],
                                    Df_diff = lrt[["Df diff"]],
                                    Pr = lrt[["Pr(>Chisq)"]]))

configural_r <- cfa(hs_model, data = hs, group = "school", estimator = "MLR")
metric_r <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings", estimator = "MLR")
scalar_r <- cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts"),
                estimator = "MLR")
out$hs_configural_mlr <- fit_entry(configural_r)
out$hs_scalar_mlr <- fit_entry(scalar_r)
lrt_r <- lavTestLRT(configural_r, metric_r, scalar_r)
out$hs_lrt_mlr <- frame_json(data.frame(Df = lrt_r$Df, Chisq = lrt_r$Chisq,
                                        Chisq_diff = lrt_r[["Chisq diff"]],
                                        Df_diff = lrt_r[["Df diff"]],
                                        Pr = lrt_r[["Pr(>Chisq)"]]))

out$bfi_fiml <- fit_entry(cfa(big5, data = bfi, missing = "ml"))
out$bfi_fiml_mlr <- fit_entry(cfa(big5, data = bfi, missing = "ml", estimator = "MLR"))
out$bfi_listwise <- fit_entry(cfa(big5, data = bfi))

nitems <- c("N1", "N2", "N3", "N4", "N5")
out$bfi_n_wlsmv <- fit_entry(cfa("neuro =~ N1 + N2 + N3 + N4 + N5", data = bfi,
                                 ordered = nitems, estimator = "WLSMV"))
out$bfi_n_wlsmv_gender <- fit_entry(cfa("neuro =~ N1 + N2 + N3 + N4 + N5", data = bfi,
                                        ordered = nitems, estimator = "WLSMV",
                                        group = "gender"))
out$bfi_an_wlsmv_stdlv <- fit_entry(cfa("agree =~ A1 + A2 + A3 + A4 + A5\nneuro =~ N1 + N2 + N3 + N4 + N5",
                                         data = bfi, ordered = c(paste0("A", 1:5), nitems),
                                         estimator = "WLSMV", std.lv = TRUE))
out$bfi_gender_scalar <- fit_entry(cfa(big5, data = bfi, group = "gender",
                                       group.equal = c("loadings", "intercepts")))
aitems <- c("A1", "A2", "A3", "A4", "A5")
out$bfi_a_wlsmv <- fit_entry(cfa("agree =~ A1 + A2 + A3 + A4 + A5", data = bfi,
                                 ordered = aitems, estimator = "WLSMV"))
out$bfi_an_fiml_gender <- fit_entry(cfa("agree =~ A1 + A2 + A3 + A4 + A5\nneuro =~ N1 + N2 + N3 + N4 + N5",
                                         data = bfi, missing = "ml", group = "gender"))

# Ordinal measurement invariance (WLSMV, delta parameterization) across gender: lavaan frees
# the scale factors (~*~) and the latent means in group 2 when thresholds are held equal;
# the intercepts of ordinal items stay fixed at 0, so adding "intercepts" changes nothing.
nmodel <- "neuro =~ N1 + N2 + N3 + N4 + N5"
wlsmv_g <- function(model, items, eq, ...) {
  cfa(model, data = bfi, ordered = items, estimator = "WLSMV", group = "gender",
      group.equal = eq, ...)
}
lrt_json <- function(...) {
  lrt <- lavTestLRT(...)
  frame_json(data.frame(Df = lrt$Df, Chisq = lrt$Chisq, Chisq_diff = lrt[["Chisq diff"]],
                        Df_diff = lrt[["Df diff"]], Pr = lrt[["Pr(>Chisq)"]]))
}
n_conf <- wlsmv_g(nmodel, nitems, "")
n_th <- wlsmv_g(nmodel, nitems, "thresholds")
n_thl <- wlsmv_g(nmodel, nitems, c("thresholds", "loadings"))
n_thli <- wlsmv_g(nmodel, nitems, c("thresholds", "loadings", "intercepts"))
n_l <- wlsmv_g(nmodel, nitems, "loadings")
out$bfi_n_wlsmv_gender_th <- fit_entry(n_th, mi = FALSE)
out$bfi_n_wlsmv_gender_thl <- fit_entry(n_thl, mi = FALSE)
out$bfi_n_wlsmv_gender_thli <- fit_entry(n_thli, mi = FALSE)
out$bfi_n_wlsmv_gender_l <- fit_entry(n_l, mi = FALSE)
out$bfi_n_wlsmv_lrt <- lrt_json(n_conf, n_th, n_thl)
out$bfi_n_wlsmv_lrt_l <- lrt_json(n_conf, n_l, n_thl)
out$bfi_n_wlsmv_lrt_cthl <- lrt_json(n_conf, n_thl)
anmodel <- "agree =~ A1 + A2 + A3 + A4 + A5\nneuro =~ N1 + N2 + N3 + N4 + N5"
out$bfi_an_wlsmv_gender_thl_stdlv <- fit_entry(
  wlsmv_g(anmodel, c(aitems, nitems), c("thresholds", "loadings"), std.lv = TRUE), mi = FALSE)

# Edge cases found by comparing with lavaan on generated data (fit-measure edge rules,
# df = 0, covariance naming, polychoric correlations at the bound).
out$hs_ml_cov_order <- fit_entry(cfa(paste(hs_model, "x9 ~~ x7", sep = "\n"), data = hs))
set.seed(20261205)
hs_miss <- hs
hs_miss$x1[sample(nrow(hs), 40)] <- NA
hs_miss$x2[sample(nrow(hs), 40)] <- NA
write.csv(hs_miss[, c("x1", "x2", "x3")], "tests/data/hs_x1x3_missing.csv", row.names = FALSE,
          na = "")
m3 <- "visual =~ x1 + x2 + x3"
hs_miss_all <- hs
hs_miss_all$x1 <- hs_miss$x1
hs_miss_all$x2 <- hs_miss$x2
out$hs3_ml_df0 <- fit_entry(cfa(m3, data = hs), mi = FALSE)
out$hs3_mlr_df0 <- fit_entry(cfa(m3, data = hs, estimator = "MLR"), mi = FALSE)
out$hs3_fiml_df0 <- fit_entry(cfa(m3, data = hs_miss, missing = "ml"), mi = FALSE)
out$hs3_fiml_mlr_df0 <- fit_entry(cfa(m3, data = hs_miss, missing = "ml", estimator = "MLR"),
                                  mi = FALSE)
out$bfi_n3_wlsmv_df0 <- fit_entry(cfa("neuro =~ N1 + N2 + N3", data = bfi,
                                      ordered = c("N1", "N2", "N3"), estimator = "WLSMV"),
                                  mi = FALSE)
# one factor, six items: data simulated from the model (chisq < df: RNI and TLI above 1)
# and nearly uncorrelated items (baseline chisq < df: IFI and RFI at lavaan's bound 1)
sim_one <- function(seed, n, l) {
  set.seed(seed)
  eta <- rnorm(n)
  x <- sapply(l, function(li) li * eta + sqrt(1 - li^2) * rnorm(n))
  colnames(x) <- paste0("y", seq_along(l))
  as.data.frame(x)
}
m6 <- "f =~ y1 + y2 + y3 + y4 + y5 + y6"
sim_good <- sim_one(1, 200, c(.7, .6, .5, .7, .6, .5))
sim_flat <- sim_one(3, 60, rep(.15, 6))
write.csv(sim_good, "tests/data/sim_one_factor_good.csv", row.names = FALSE)
write.csv(sim_flat, "tests/data/sim_one_factor_flat.csv", row.names = FALSE)
out$sim_good <- fit_entry(cfa(m6, data = sim_good), mi = FALSE)
out$sim_flat <- fit_entry(cfa(m6, data = sim_flat), mi = FALSE)
# an item entered twice: its polychoric correlation with itself is held at lavaan's bound .999
bfi_dup <- bfi
bfi_dup$N6 <- bfi_dup$N1
out$bfi_n_dup_wlsmv <- fit_entry(cfa("neuro =~ N1 + N2 + N3 + N4 + N5 + N6", data = bfi_dup,
                                     ordered = paste0("N", 1:6), estimator = "WLSMV"),
                                 mi = FALSE)
# fixed covariances (factor and residual): modindices() tests freeing them
out$hs_ml_fixed_cov <- fit_entry(cfa(paste(hs_model, "visual ~~ 0*speed", "x1 ~~ 0*x4",
                                           sep = "\n"), data = hs))
out$hs_mlr_fiml_fixed_cov <- fit_entry(cfa(paste(hs_model, "visual ~~ 0*speed", sep = "\n"),
                                           data = hs_miss_all, missing = "ml",
                                           estimator = "MLR"))
# binary items whose 2x2 tables have one empty cell: lavaan adds 0.5 there (zero.add)
set.seed(3)
eta <- rnorm(80)
bin <- data.frame(y1 = as.integer(eta + rnorm(80, 0, .5) > 1.2),
                  y2 = as.integer(eta + rnorm(80, 0, .5) > -1.0),
                  y3 = as.integer(eta + rnorm(80, 0, .7) > 0),
                  y4 = as.integer(eta + rnorm(80, 0, .7) > 0.3))
write.csv(bin, "tests/data/binary_empty_cells.csv", row.names = FALSE)
out$binary_empty_cells <- fit_entry(cfa("f =~ y1 + y2 + y3 + y4", data = bin,
                                        ordered = names(bin), estimator = "WLSMV"),
                                    mi = FALSE)

meta <- paste0('{"R": ', str_json(paste(R.version$major, R.version$minor, sep = ".")),
               ', "lavaan": ', str_json(as.character(packageVersion("lavaan"))), "}")
body <- paste0(str_json(names(out)), ": ", unlist(out), collapse = ",\n")
writeLines(paste0("{", '"meta": ', meta, ",\n", body, "}"), "tests/reference/lavaan_cfa.json")
cat("wrote tests/reference/lavaan_cfa.json\n")
