/* A form without a target: "Save my answers" saves them as a CSV file on this device, one
   header row and one row of answers, which `measurelib import MEASURE FILE` reads. Nothing
   is sent anywhere. The script is static: it reads everything from the page. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-standalone]");
  if (!form || !window.Blob || !window.URL || !window.FormData) { return; }
  var button = form.querySelector("button[type=submit]");
  var status = document.getElementById("save-status");
  var jsNote = document.getElementById("standalone-js");
  if (jsNote) { jsNote.hidden = false; }
  if (button) { button.disabled = false; }
  var number = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  function cell(value) {
    var v = value === null || value === undefined ? "" : String(value);
    // as measurelib's neutraliser: text a spreadsheet would read as a formula gets a quote
    if (/^[=+\-@\t\r]/.test(v) && !number.test(v)) { v = "'" + v; }
    if (/[",\r\n]/.test(v)) { v = "\"" + v.replace(/"/g, "\"\"") + "\""; }
    return v;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // A question left blank or answered out of range is told in the form's language (the
  // browser's own message is in the browser's): the words measurelib's submission check
  // uses, from data-msg-* on the form.
  function questionNumber(el) {
    var set = el.closest ? el.closest("fieldset") : null;
    var num = set ? set.querySelector(".item-num") : null;
    return num ? num.textContent.replace(/\.\s*$/, "") : "";
  }
  function clear(name) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.setCustomValidity && (name === null || el.name === name)) { el.setCustomValidity(""); }
    });
  }
  form.addEventListener("invalid", function (event) {
    var el = event.target, v = el.validity, n = questionNumber(el);
    var key = !v ? null : v.valueMissing ? "required" : (v.rangeUnderflow || v.rangeOverflow ||
      v.badInput || v.stepMismatch) ? "number" : null;
    if (!n || !key) { return; }
    el.setCustomValidity(form.getAttribute("data-msg-" + key).replace("{n}", n)
      .replace("{min}", el.getAttribute("min") || "").replace("{max}", el.getAttribute("max") || ""));
  }, true);
  form.addEventListener("input", function (event) { clear(event.target.name); }, true);
  form.addEventListener("change", function (event) { clear(event.target.name); }, true);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clear(null);
    if (form.reportValidity && !form.reportValidity()) { return; }
    var data = new FormData(form);
    var now = new Date();
    var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    var columns = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && columns.indexOf(el.name) < 0) { columns.push(el.name); }
    });
    var fill = {date: today, mode: "online"};
    Object.keys(fill).forEach(function (c) { if (columns.indexOf(c) < 0) { columns.push(c); } });
    var values = columns.map(function (c) {
      var v = data.get(c);
      return (v === null || v === "") && fill[c] ? fill[c] : v;
    });
    var text = columns.map(cell).join(",") + "\r\n" + values.map(cell).join(",") + "\r\n";
    var who = String(data.get("respondent_id") || "").replace(/[^A-Za-z0-9_-]/g, "");
    var name = form.getAttribute("data-standalone") + (who ? "-" + who : "") + "-" + today +
      "-" + pad(now.getHours()) + pad(now.getMinutes()) + pad(now.getSeconds()) + ".csv";
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], {type: "text/csv;charset=utf-8"}));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    if (status) { status.textContent = form.getAttribute("data-saved").replace("{file}", name); }
  });
})();
