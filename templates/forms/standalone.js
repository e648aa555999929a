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
  form.addEventListener("submit", function (event) {
    event.preventDefault();
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
