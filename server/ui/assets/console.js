/* fleetgate operator console: the only client code. Two jobs, both optional (every page works
   without it): draw the charts (uPlot, served by the gateway) from the JSON the server put in the
   page, and refresh the page's live parts every few seconds by fetching the same page again and
   swapping in the elements marked data-live whose server-rendered HTML changed. When the session
   has ended (401), it goes to the login page. No inline code anywhere: the pages' CSP forbids it. */
(function () {
  'use strict';

  var charts = new Map();
  var COLORS = {
    accepted: '#17743b',
    duplicate: '#1d5fbf',
    replay: '#c27c0e',
    bad_signature: '#b3261e',
    unknown_device: '#7b3fa0',
    crc_failure: '#6b7785',
    malformed: '#2f3a45',
  };
  var LABELS = {
    accepted: 'accepted',
    duplicate: 'retransmission',
    replay: 'replay',
    bad_signature: 'bad signature',
    unknown_device: 'unknown / revoked',
    crc_failure: 'corrupt',
    malformed: 'malformed',
  };

  function chartSpec(kind, data, width) {
    if (kind === 'telemetry') {
      var bucketed = data.bucketSeconds > 0;
      var series = [{}];
      var columns = [data.t];
      if (bucketed) {
        series.push({ label: 'min', stroke: '#8fb0e0', width: 1 });
        series.push({ label: data.field + ' (mean)', stroke: '#1d5fbf', width: 2 });
        series.push({ label: 'max', stroke: '#8fb0e0', width: 1 });
        columns.push(data.min, data.avg, data.max);
      } else {
        series.push({ label: data.field, stroke: '#1d5fbf', width: 2, points: { show: data.t.length < 120 } });
        columns.push(data.avg);
      }
      return {
        opts: {
          width: width,
          height: 260,
          scales: { x: { time: true } },
          series: series,
          bands: bucketed ? [{ series: [3, 1], fill: 'rgba(29, 95, 191, 0.10)' }] : [],
          axes: [{}, { size: 60 }],
        },
        columns: columns,
      };
    }
    var names = Object.keys(COLORS).filter(function (k) { return Array.isArray(data[k]); });
    return {
      opts: {
        width: width,
        height: 260,
        scales: { x: { time: true }, y: {}, r: {} },
        series: [{}].concat(
          names.map(function (k) {
            var ok = k === 'accepted' || k === 'duplicate';
            return { label: LABELS[k], stroke: COLORS[k], width: ok ? 2 : 1.5, scale: ok ? 'y' : 'r', points: { show: false } };
          }),
        ),
        axes: [{}, { scale: 'y', label: 'accepted', size: 60 }, { scale: 'r', side: 1, label: 'refused', size: 60, grid: { show: false } }],
      },
      columns: [data.t].concat(names.map(function (k) { return data[k]; })),
    };
  }

  function renderCharts() {
    if (typeof window.uPlot !== 'function') return;
    document.querySelectorAll('figure[data-chart]').forEach(function (fig) {
      var source = document.getElementById(fig.getAttribute('data-source'));
      var target = fig.querySelector('.chart-canvas');
      if (!source || !target) return;
      var text = source.textContent;
      var prev = charts.get(target);
      if (prev && prev.text === text) return;
      var spec = chartSpec(fig.getAttribute('data-chart'), JSON.parse(text), Math.max(280, target.clientWidth));
      if (prev) prev.plot.destroy();
      target.textContent = '';
      charts.set(target, { text: text, plot: new window.uPlot(spec.opts, spec.columns, target) });
    });
  }

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c, target) {
        if (target.isConnected) c.plot.setSize({ width: Math.max(280, target.clientWidth), height: 260 });
      });
    }, 150);
  });

  /* Live refresh. `served` keeps the HTML the server sent for each live element, so an element is
     replaced only when the server's answer changed (a chart drawn into it is not redrawn for
     nothing, and focus inside an unchanged part stays where it is). */
  var served = new Map();
  var busy = false;

  function setStatus(text) {
    var el = document.getElementById('live-status');
    if (el) el.textContent = text;
  }

  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(location.href, { headers: { 'X-Console-Live': '1' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          location.assign('/ui/login?why=ended');
          return null;
        }
        if (!res.ok) {
          setStatus('Live: the last refresh failed (' + res.status + '); retrying.');
          return null;
        }
        return res.text();
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live][id]').forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (!fresh) return;
          var next = fresh.innerHTML;
          if (served.get(el.id) === next) return;
          served.set(el.id, next);
          el.innerHTML = next;
        });
        renderCharts();
        setStatus('Live: updated at ' + new Date().toLocaleTimeString() + '; refreshes every ' + Math.round(interval / 1000) + ' s.');
      })
      .catch(function () {
        setStatus('Live: the gateway did not answer; retrying.');
      })
      .finally(function () {
        busy = false;
      });
  }

  var interval = Number(document.body.getAttribute('data-live-refresh') || 0);
  document.querySelectorAll('[data-live][id]').forEach(function (el) {
    served.set(el.id, el.innerHTML);
  });
  renderCharts();
  if (interval > 0) {
    setInterval(refresh, interval);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) refresh();
    });
  }
})();
