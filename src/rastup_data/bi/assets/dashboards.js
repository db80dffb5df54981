// Draws each tile's Plotly figure and refreshes live tiles (the ops console) in place.
"use strict";
(function () {
  var config = { displayModeBar: false, responsive: true };

  function draw(chart) {
    var figure = JSON.parse(chart.getAttribute("data-figure"));
    Plotly.newPlot(chart, figure.data, figure.layout, config);
  }

  function setRows(tile, columns, rows) {
    var table = tile.querySelector("table.tile-data");
    if (!table) { return; }
    var head = document.createElement("tr");
    columns.forEach(function (name) {
      var th = document.createElement("th"); th.textContent = name; head.appendChild(th);
    });
    table.tHead.replaceChildren(head);
    var body = document.createElement("tbody");
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (value) {
        var td = document.createElement("td");
        td.textContent = value === null ? "" : String(value);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
  }

  function refresh(tile) {
    fetch(tile.getAttribute("data-live-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/dashboards/sign-in"); }
        if (!response.ok) { throw new Error("live tile: HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var headline = tile.querySelector(".headline");
        headline.textContent = data.headline_text;
        headline.setAttribute("data-value", data.headline === null ? "" : String(data.headline));
        tile.querySelector(".as-of").textContent = data.as_of_text;
        setRows(tile, data.columns, data.rows);
        var chart = tile.querySelector(".chart");
        Plotly.react(chart, data.figure.data, data.figure.layout, config);
        tile.setAttribute("data-refreshed", String(Number(tile.getAttribute("data-refreshed") || 0) + 1));
      })
      .catch(function (error) { tile.setAttribute("data-live-error", String(error)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-figure]").forEach(draw);
    var tiles = document.querySelector(".tiles");
    var live = document.querySelectorAll(".tile[data-live-url]");
    if (!tiles || live.length === 0) { return; }
    var seconds = Number(tiles.getAttribute("data-live-seconds")) || 15;
    window.setInterval(function () { live.forEach(refresh); }, seconds * 1000);
  });
})();
