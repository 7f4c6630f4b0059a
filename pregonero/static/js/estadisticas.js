// Estadísticas: draws the dashboard's charts from the JSON the page embeds.
// Every chart has a heading and a data table beside it; without JavaScript
// the tables carry the same figures.
(function () {
  "use strict";
  var source = document.getElementById("estadisticas-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
  var DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 4], [1, 3], [10, 2]];
  var POINTS = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded", "cross"];
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var number = new Intl.NumberFormat("es-CO", { maximumFractionDigits: 0 });

  function labelOf(iso) {
    var parts = iso.split("-");
    if (data.series.bucket === "month") return parts[1] + "/" + parts[0];
    return parts[2] + "/" + parts[1];
  }

  function options(stacked) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = ctx.parsed.y;
              return ctx.dataset.label + ": " + (v === null ? "—" : number.format(v));
            }
          }
        }
      },
      scales: {
        x: { stacked: !!stacked },
        y: { stacked: !!stacked, beginAtZero: false, ticks: { callback: function (v) { return number.format(v); } } }
      }
    };
  }

  function line(index, label, values) {
    var color = PALETTE[index % PALETTE.length];
    return {
      label: label,
      data: values,
      borderColor: color,
      backgroundColor: color,
      borderDash: DASHES[index % DASHES.length],
      pointStyle: POINTS[index % POINTS.length],
      pointRadius: values.length > 45 ? 0 : 3,
      borderWidth: 2,
      spanGaps: true,
      tension: 0.2
    };
  }

  var labels = data.series.labels.map(labelOf);
  var builders = {
    followers: function () {
      return {
        type: "line",
        data: {
          labels: labels,
          datasets: data.series.followers.map(function (s, i) { return line(i, s.label, s.values); })
        },
        options: options(false)
      };
    },
    flows: function () {
      var keys = Object.keys(data.series.flows);
      var opts = options(false);
      opts.scales.y.beginAtZero = true;
      return {
        type: "line",
        data: {
          labels: labels,
          datasets: keys.map(function (k, i) { return line(i, data.labels[k] || k, data.series.flows[k]); })
        },
        options: opts
      };
    },
    interactions: function () {
      var opts = options(false);
      opts.scales.y.beginAtZero = true;
      return {
        type: "bar",
        data: {
          labels: data.networks.map(function (n) { return n.label; }),
          datasets: [
            { label: data.labels.interactions, data: data.networks.map(function (n) { return n.interactions; }), backgroundColor: PALETTE[0] },
            { label: data.labels.post_interactions, data: data.networks.map(function (n) { return n.post_interactions; }), backgroundColor: PALETTE[1] }
          ]
        },
        options: opts
      };
    },
    posts: function () {
      var opts = options(false);
      opts.scales.y.beginAtZero = true;
      return {
        type: "bar",
        data: {
          labels: data.networks.map(function (n) { return n.label; }),
          datasets: [{ label: data.labels.posts, data: data.networks.map(function (n) { return n.posts; }), backgroundColor: PALETTE[2] }]
        },
        options: opts
      };
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var build = builders[canvas.getAttribute("data-chart")];
    if (build) new window.Chart(canvas, build());
  });
})();
