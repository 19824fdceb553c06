// GAN Lab style picture of a 2-D GAN: the discriminator's decision surface as a heat map (purple: judged
// fake, yellow: judged real), real points in grey, generated points in green.
import type { GanField } from '../types.js';

const LOW = [118, 92, 178];
const MID = [246, 246, 246];
const HIGH = [240, 196, 64];

function heat(t: number): string {
  const [a, b, s] = t < 0.5 ? [LOW, MID, t * 2] : [MID, HIGH, (t - 0.5) * 2];
  const c = [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * s));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function drawGanField(canvas: HTMLCanvasElement, field: GanField): void {
  const size = canvas.width;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, size, size);
  const [lo, hi] = field.range;
  if (field.surface) {
    // Sigmoid of the logits: the discriminator's probability of "real", on one fixed scale across epochs.
    const n = field.resolution;
    const cell = size / n;
    for (let row = 0; row < n; row++)
      for (let col = 0; col < n; col++) {
        const logit = field.surface[row * n + col];
        g.fillStyle = heat(1 / (1 + Math.exp(-logit)));
        g.fillRect(Math.floor(col * cell), Math.floor(row * cell), Math.ceil(cell), Math.ceil(cell));
      }
  }
  const dots = (points: number[], colour: string, radius: number) => {
    g.fillStyle = colour;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = ((points[i] - lo) / (hi - lo)) * size;
      const y = (1 - (points[i + 1] - lo) / (hi - lo)) * size;
      g.beginPath();
      g.arc(x, y, radius, 0, 2 * Math.PI);
      g.fill();
    }
  };
  dots(field.real, 'rgba(60, 60, 60, 0.45)', 2);
  dots(field.generated, 'rgba(20, 140, 60, 0.75)', 2.2);
}
