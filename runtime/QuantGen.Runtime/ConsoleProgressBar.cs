using System;
using System.IO;
using QuantGen.Quantization;

namespace QuantGen
{
    /// <summary>
    /// A one-line progress bar for long runs (calibration, evaluation) on a text writer, normally stderr. When the
    /// writer is redirected it prints only at 0/25/50/75/100 % so logs stay short.
    /// </summary>
    public sealed class ConsoleProgressBar : IProgress<CalibrationProgress>, IProgress<int>
    {
        private readonly string label;
        private readonly TextWriter writer;
        private readonly bool interactive;
        private readonly int total;
        private int lastPercent = -1;

        public ConsoleProgressBar(string label, TextWriter writer, bool interactive, int total = 0)
        {
            this.label = label;
            this.writer = writer;
            this.interactive = interactive;
            this.total = total;
        }

        /// <summary>A bar on stderr, interactive when stderr is a terminal.</summary>
        public static ConsoleProgressBar OnStandardError(string label, int total = 0) => new ConsoleProgressBar(label, Console.Error, !Console.IsErrorRedirected, total);

        public void Report(CalibrationProgress value) => Show(value.Done, value.Total);

        public void Report(int done) => Show(done, total);

        public void Finish()
        {
            if (lastPercent >= 0 && interactive)
            {
                writer.WriteLine();
            }
        }

        private void Show(int done, int all)
        {
            int percent = all <= 0 ? 100 : (int)(done * 100L / all);
            if (percent == lastPercent || (!interactive && percent % 25 != 0 && done != all))
            {
                return;
            }

            lastPercent = percent;
            int filled = percent / 5;
            string line = $"{label} [{new string('#', filled)}{new string('.', 20 - filled)}] {percent,3}% ({done}/{all})";
            if (interactive)
            {
                writer.Write("\r" + line);
            }
            else
            {
                writer.WriteLine(line);
            }
        }
    }
}
