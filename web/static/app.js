// The dashboard's only script. It mounts a uPlot chart on every element with a data-chart attribute that htmx
// loads: the first page and every fragment swapped in later (htmx.onLoad), and frees it when htmx removes it.
// The chart's data comes from that attribute as JSON (see ChartSpec in web/layout.tsx), so the page needs no
// inline script and the Content-Security-Policy allows only this site's files. uPlot sets its sizes through
// element.style (CSSOM), which that policy permits.
/* global htmx, uPlot, ResizeObserver, document */
(function () {
  'use strict';

  var AXIS = '#374151';
  var GRID = '#e5e7eb';

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function fmtAxis(v) {
    var abs = Math.abs(v);
    var digits = abs >= 1000 ? 0 : abs >= 10 ? 1 : 3;
    return v.toLocaleString('en-US', { maximumFractionDigits: digits });
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function hm(d) {
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }

  function ymd(d) {
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
  }

  // Tick labels in UTC, 24-hour: times within a day or two, dates beyond (with the time when it is not midnight).
  // Ticks are at least a minute apart (TIME_INCRS), and when two would read the same time of day the date is
  // added, so no label repeats.
  function timeTicks(u, splits) {
    var span = u.scales.x.max - u.scales.x.min;
    var dates = splits.map(function (ts) {
      return new Date(ts * 1e3);
    });
    var times = dates.map(hm);
    var unique = new Set(times).size === times.length;
    return dates.map(function (d, i) {
      if (span <= 2 * 86400 && unique) return times[i];
      return times[i] === '00:00' && span > 2 * 86400 ? ymd(d) : ymd(d) + ' ' + times[i];
    });
  }

  // Tick spacings in seconds: whole minutes and up (a label shows minutes, never seconds).
  var MIN = 60;
  var HOUR = 3600;
  var DAY = 86400;
  var TIME_INCRS = [
    MIN,
    2 * MIN,
    5 * MIN,
    10 * MIN,
    15 * MIN,
    30 * MIN,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    4 * HOUR,
    6 * HOUR,
    8 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    3 * DAY,
    4 * DAY,
    5 * DAY,
    7 * DAY,
    10 * DAY,
    15 * DAY,
    30 * DAY,
    60 * DAY,
    91 * DAY,
    182 * DAY,
    365 * DAY,
    2 * 365 * DAY,
    5 * 365 * DAY,
    10 * 365 * DAY,
  ];

  // One instant on the x axis (a first bucket, a first minute): a step either side of it. uPlot itself would
  // widen it to a day, which at second resolution is 86,400,000 s (years).
  function xRange(step) {
    return function (u, min, max) {
      var xs = u.data[0];
      if (xs.length > 0 && xs[0] === xs[xs.length - 1]) return [xs[0] - step, xs[0] + step];
      return [min, max];
    };
  }

  // One value on the y axis: a tenth of a percent either side of it.
  function yRange(u, min, max) {
    if (min === null || max === null) return [0, 1];
    if (min === max) {
      var d = Math.abs(min) * 0.001 || 1;
      return [min - d, max + d];
    }
    return uPlot.rangeNum(min, max, 0.1, true);
  }

  // Values present in a series: with fewer than two there is no line to draw, so its points are shown.
  function present(values) {
    return values.filter(function (v) {
      return v !== null && v !== undefined;
    }).length;
  }

  function heightFor(width) {
    return width < 600 ? 240 : 340;
  }

  // A vertical dashed line at spec.marker (the newest observed minute on the forecast chart).
  function markerPlugin(at) {
    return {
      hooks: {
        draw: function (u) {
          var x = Math.round(u.valToPos(at, 'x', true));
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = '#6b7280';
          ctx.setLineDash([4, 4]);
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.restore();
        },
      },
    };
  }

  function mount(el) {
    if (el.__chart) return;
    var spec;
    try {
      spec = JSON.parse(el.getAttribute('data-chart'));
    } catch {
      el.textContent = 'This chart could not be read.';
      return;
    }
    var width = Math.max(280, el.clientWidth || 600);
    var series = [{ label: 'time (UTC)' }].concat(
      spec.series.map(function (s) {
        var lone = present(s.values) < 2;
        return {
          label: s.label,
          stroke: s.color,
          width: s.width || 1,
          dash: s.dash,
          fill: s.fill,
          spanGaps: true,
          points: lone
            ? { show: true, size: 9, fill: s.color }
            : { show: Boolean(s.points), size: 6, fill: s.color },
          value: function (u, v) {
            return fmt(v);
          },
        };
      }),
    );
    var opts = {
      width: width,
      height: heightFor(width),
      series: series,
      bands: (spec.bands || []).map(function (b) {
        return { series: [b.upper + 1, b.lower + 1], fill: b.fill };
      }),
      scales: { x: { time: true, range: xRange(spec.step || MIN) }, y: { range: yRange } },
      tzDate: function (ts) {
        return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
      },
      axes: [
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID },
          values: timeTicks,
          incrs: TIME_INCRS,
          space: 70,
        },
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID },
          size: 70,
          values: function (u, vals) {
            return vals.map(fmtAxis);
          },
        },
      ],
      plugins: spec.marker ? [markerPlugin(spec.marker)] : [],
    };
    var data = [spec.x].concat(
      spec.series.map(function (s) {
        return s.values;
      }),
    );
    var chart = new uPlot(opts, data, el);
    var observer = new ResizeObserver(function () {
      var w = Math.max(280, el.clientWidth);
      if (w !== chart.width) chart.setSize({ width: w, height: heightFor(w) });
    });
    observer.observe(el);
    el.__chart = chart;
    el.__observer = observer;
    el.setAttribute('data-mounted', String(spec.x.length));
  }

  function unmount(el) {
    if (!el.__chart) return;
    el.__observer.disconnect();
    el.__chart.destroy();
    el.__chart = null;
  }

  htmx.onLoad(function (root) {
    if (root.matches && root.matches('[data-chart]')) mount(root);
    if (root.querySelectorAll) root.querySelectorAll('[data-chart]').forEach(mount);
  });

  // A form's from / to are sent only with range "custom" (a preset with bounds is refused). This runs in the
  // capture phase, before htmx reads the form on the same change.
  document.addEventListener(
    'change',
    function (e) {
      var t = e.target;
      if (!t || t.name !== 'range' || !t.form) return;
      ['from', 'to'].forEach(function (name) {
        var input = t.form.elements.namedItem(name);
        if (input) input.disabled = t.value !== 'custom';
      });
    },
    true,
  );

  document.addEventListener('htmx:beforeCleanupElement', function (e) {
    unmount(e.target);
  });
})();
