using System;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace QuantGen.Samples.DigitsHls
{
    /// <summary>
    /// Lists the HLS projects that `dotnet build` wrote next to this program, with the estimates from each report.json.
    ///   dotnet build samples/DigitsHls && dotnet run --project samples/DigitsHls
    /// </summary>
    public static class Program
    {
        public static int Main()
        {
            string hls = Path.Combine(AppContext.BaseDirectory, "hls");
            if (!Directory.Exists(hls))
            {
                Console.Error.WriteLine($"no HLS projects in {hls}; build the project first (dotnet build samples/DigitsHls)");
                return 1;
            }

            foreach (string dir in Directory.GetDirectories(hls).OrderBy(d => d, StringComparer.Ordinal))
            {
                string report = Path.Combine(dir, "report.json");
                if (!File.Exists(report))
                {
                    continue;
                }

                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(report));
                JsonElement r = doc.RootElement, t = r.GetProperty("totals");
                int files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Length;
                Console.WriteLine($"{r.GetProperty("model").GetString()} ({r.GetProperty("io_mode").GetString()}, {files} files in {dir})");
                Console.WriteLine($"  {t.GetProperty("multipliers").GetInt64()} multipliers, {t.GetProperty("rom_bits").GetInt64()} ROM bits, latency {t.GetProperty("latency_cycles").GetInt64()} cycles, II {t.GetProperty("initiation_interval_cycles").GetInt64()} cycles");
                foreach (JsonElement l in r.GetProperty("layers").EnumerateArray())
                {
                    Console.WriteLine($"    {l.GetProperty("name").GetString(),-20} {l.GetProperty("op").GetString(),-10} R={l.GetProperty("reuse_factor").GetInt32(),-3} mult={l.GetProperty("multipliers").GetInt64(),-6} latency={l.GetProperty("latency_cycles").GetInt64()}");
                }

                Console.WriteLine($"  C simulation: cd {dir} && g++ -std=c++14 -O2 -Ifirmware firmware/*.cpp *_test.cpp -o tb && ./tb tb_data");
            }

            return 0;
        }
    }
}
