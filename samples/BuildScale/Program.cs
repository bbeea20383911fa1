using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.BuildScale
{
    /// <summary>
    /// dotnet run --project samples/BuildScale -c Release -- [--reps N] [sizes in MB...] (default: 0 10 100).
    /// Packs QuantGen.Compiler and QuantGen.Runtime into a temp feed (the user's setup: PackageReference, no project
    /// references), then writes, per size, a fresh console app with an int8 Dense MLP of that many MB of weights (0: a
    /// 64-32-10 model of a few KB) plus the same app without QuantGen (the baseline). Each app gets one clean build under
    /// /usr/bin/time -v (wall seconds, peak RSS of the largest process: MSBuild or csc), then N no-op builds interleaved
    /// across the apps (so load drift hits all alike); the table gives medians and the overhead over the baseline, and
    /// QuantGen's own targets' time in a no-op build (MSBuild's performance summary). Then each app runs once.
    /// `setup MB DIR` only writes the app (project references to this repository) for investigating a build by hand.
    /// </summary>
    public static class Program
    {
        private const string BuildArgs = "build --no-restore -c Release -nodeReuse:false -p:UseSharedCompilation=false";

        public static int Main(string[] args)
        {
            string repo = FindRepo();
            if (args.Length == 3 && args[0] == "setup")
            {
                int size = int.Parse(args[1], CultureInfo.InvariantCulture);
                Directory.CreateDirectory(args[2]);
                if (size > 0)
                {
                    WriteModel(args[2], size);
                }

                WriteProject(args[2], repo, size > 0, null);
                return 0;
            }

            int reps = 5;
            var sizes = new List<int>();
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--reps")
                {
                    reps = int.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else
                {
                    sizes.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
                }
            }

            if (sizes.Count == 0)
            {
                sizes.AddRange(new[] { 0, 10, 100 });
            }

            string work = Path.Combine(Path.GetTempPath(), "quantgen-scale-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            string feed = Path.Combine(work, "feed"), packages = Path.Combine(work, "packages");
            Directory.CreateDirectory(feed);
            foreach (string project in new[] { "generators/QuantGen.Compiler/QuantGen.Compiler.csproj", "runtime/QuantGen.Runtime/QuantGen.Runtime.csproj" })
            {
                Run("dotnet", $"pack \"{Path.Combine(repo, project)}\" -c Release -o \"{feed}\"", repo, null);
            }

            // (label, folder, bytes of the weights file); the baseline first.
            var apps = new List<(string Label, string Dir, long Bytes)>();
            string baseline = Path.Combine(work, "baseline");
            Directory.CreateDirectory(baseline);
            WriteProject(baseline, repo, false, feed);
            apps.Add(("same app without QuantGen", baseline, 0));
            foreach (int mb in sizes)
            {
                string dir = Path.Combine(work, "mb" + mb.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                long bytes = WriteModel(dir, mb);
                WriteProject(dir, repo, true, feed);
                apps.Add((mb.ToString(CultureInfo.InvariantCulture), dir, bytes));
            }

            var clean = new Dictionary<string, (double Seconds, long Kb, double Cpu)>();
            foreach ((string label, string dir, long _) in apps)
            {
                Run("dotnet", "restore -v:q", dir, packages);
                clean[dir] = Timed(BuildArgs + " -v:q", dir, packages);
                Console.Error.WriteLine($"clean build {label}: {clean[dir].Seconds:F1} s, {clean[dir].Kb / 1024} MiB");
            }

            // Wall seconds and CPU seconds (user + system of the whole process tree: far less sensitive to other load).
            var noop = apps.ToDictionary(a => a.Dir, _ => new List<double>());
            var noopCpu = apps.ToDictionary(a => a.Dir, _ => new List<double>());
            for (int r = 0; r < reps; r++)
            {
                foreach ((string label, string dir, long _) in apps)
                {
                    (double wall, long _, double cpu) = Timed(BuildArgs + " -v:q", dir, packages);
                    noop[dir].Add(wall);
                    noopCpu[dir].Add(cpu);
                }

                Console.Error.WriteLine($"no-op round {r + 1}/{reps} (wall/cpu s): " + string.Join(", ", apps.Select(a => noop[a.Dir][r].ToString("F2", CultureInfo.InvariantCulture) + "/" + noopCpu[a.Dir][r].ToString("F2", CultureInfo.InvariantCulture))));
            }

            double baseMedian = Median(noop[baseline]), baseCpu = Median(noopCpu[baseline]);
            Console.WriteLine($"| weights (MiB) | .safetensors (bytes) | clean build (s) | peak RSS (MiB) | no-op wall, median of {reps} (s) | no-op CPU, median of {reps} (s) | no-op overhead over the baseline, wall / CPU (s) | QuantGen targets in a no-op build (ms) | app run |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach ((string label, string dir, long bytes) in apps)
            {
                double median = Median(noop[dir]), cpu = Median(noopCpu[dir]);
                string targets = dir == baseline ? "-" : QuantGenTargetsMs(dir, packages).ToString(CultureInfo.InvariantCulture);
                string run = Run("dotnet", "bin/Release/net10.0/Scale.dll", dir, packages).Trim();
                string overhead = dir == baseline ? "-" : (median - baseMedian).ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + " / " + (cpu - baseCpu).ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
                string mib = dir == baseline ? label : (bytes / 1048576.0).ToString("F2", CultureInfo.InvariantCulture);
                Console.WriteLine($"| {mib} | {bytes:N0} | {clean[dir].Seconds:F1} | {clean[dir].Kb / 1024:N0} | {median:F2} ({noop[dir].Min():F2}-{noop[dir].Max():F2}) | {cpu:F2} ({noopCpu[dir].Min():F2}-{noopCpu[dir].Max():F2}) | {overhead} | {targets} | {run} |");
            }

            try
            {
                Directory.Delete(work, true);
            }
            catch (IOException)
            {
            }

            return 0;
        }

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }

        /// <summary>Sum of the _QuantGen*/QuantGen* targets' times in one more no-op build (MSBuild's target performance summary).</summary>
        private static long QuantGenTargetsMs(string dir, string packages)
        {
            string output = Run("dotnet", BuildArgs + " -v:q -clp:PerformanceSummary", dir, packages);
            long total = 0;
            bool targets = false;
            foreach (string line in output.Split('\n'))
            {
                if (line.Contains("Target Performance Summary", StringComparison.Ordinal))
                {
                    targets = true;
                    continue;
                }

                if (line.Contains("Task Performance Summary", StringComparison.Ordinal))
                {
                    targets = false;
                }

                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (targets && parts.Length >= 3 && parts[1] == "ms" && parts[2].Contains("QuantGen", StringComparison.Ordinal))
                {
                    total += long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }

            return total;
        }

        private static string FindRepo()
        {
            string? d = AppContext.BaseDirectory;
            while (d != null && !File.Exists(Path.Combine(d, "Gen.sln")))
            {
                d = Path.GetDirectoryName(d);
            }

            return d ?? throw new InvalidOperationException("run from inside the repository");
        }

        /// <summary>64 -> H -> (H -> H) x L -> 10 (0 MB: 64 -> 32 -> 10), int8 per-tensor weights, int32 biases; returns the .safetensors size.</summary>
        private static long WriteModel(string dir, int mb)
        {
            int h = mb == 0 ? 32 : mb >= 32 ? 2048 : 1024;
            int hidden = mb == 0 ? 0 : Math.Max(1, (int)((long)mb * 1024 * 1024 / ((long)h * h)));
            var dims = new List<int> { 64, h };
            for (int i = 0; i < hidden; i++)
            {
                dims.Add(h);
            }

            dims.Add(10);
            var rng = new Random(20261205);
            const double sIn = 0.062745101749897, sW = 0.002, sH = 0.08;
            var header = new StringBuilder("{\"__metadata__\":{\"format\":\"quantgen\"}");
            var layers = new StringBuilder();
            var inits = new StringBuilder();
            var acts = new StringBuilder();
            long offset = 0;
            string path = Path.Combine(dir, "big.safetensors");
            var data = new List<(string Name, byte[] Bytes)>();
            string prev = "x";
            for (int l = 0; l + 1 < dims.Count; l++)
            {
                int k = dims[l], n = dims[l + 1];
                string name = "fc" + l.ToString(CultureInfo.InvariantCulture), output = l + 2 == dims.Count ? "y" : "h" + l.ToString(CultureInfo.InvariantCulture);
                byte[] w = new byte[(long)n * k];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = unchecked((byte)(sbyte)rng.Next(-127, 128));
                }

                byte[] b = new byte[n * 4];
                for (int i = 0; i < n; i++)
                {
                    BitConverter.GetBytes(rng.Next(-1000, 1000)).CopyTo(b, i * 4);
                }

                double inScale = l == 0 ? sIn : sH;
                double m = inScale * sW / sH;
                int shift = 30 - (int)Math.Floor(Math.Log(m, 2));
                long mult = (long)Math.Round(m * Math.Pow(2, shift));
                if (mult >= 1L << 31)
                {
                    mult /= 2;
                    shift--;
                }

                data.Add((name + ".weight", w));
                data.Add((name + ".bias", b));
                header.Append($",\"{name}.weight\":{{\"dtype\":\"I8\",\"shape\":[{n},{k}],\"data_offsets\":[{offset},{offset + w.Length}]}}");
                offset += w.Length;
                header.Append($",\"{name}.bias\":{{\"dtype\":\"I32\",\"shape\":[{n}],\"data_offsets\":[{offset},{offset + b.Length}]}}");
                offset += b.Length;
                inits.Append(inits.Length > 0 ? ",\n" : string.Empty)
                    .Append($"    \"{name}.weight\": {{ \"type\": \"int8\", \"shape\": [{n}, {k}], \"scale\": {D(sW)}, \"zeroPoint\": 0 }},\n")
                    .Append($"    \"{name}.bias\": {{ \"type\": \"int32\", \"shape\": [{n}], \"scale\": {D(inScale * sW)}, \"zeroPoint\": 0 }}");
                acts.Append(acts.Length > 0 ? ",\n" : string.Empty).Append($"    \"{output}\": {{ \"type\": \"int8\", \"scale\": {D(sH)}, \"zeroPoint\": {(output == "y" ? 0 : -128)} }}");
                layers.Append(layers.Length > 0 ? ",\n" : string.Empty)
                    .Append($"    {{ \"name\": \"{name}\", \"op\": \"Dense\", \"inputs\": [\"{prev}\"], \"output\": \"{output}\", \"weight\": \"{name}.weight\", \"bias\": \"{name}.bias\", \"activation\": \"{(output == "y" ? "none" : "relu")}\", \"multipliers\": [{Repeat(mult, n)}], \"shifts\": [{Repeat(shift, n)}], \"clamp\": [-128, 127] }}");
                prev = output;
            }

            header.Append('}');
            while ((header.Length + 8) % 8 != 0)
            {
                header.Append(' ');
            }

            byte[] head = Encoding.UTF8.GetBytes(header.ToString());
            using (var f = new FileStream(path, FileMode.Create))
            {
                f.Write(BitConverter.GetBytes((long)head.Length));
                f.Write(head);
                foreach ((string _, byte[] bytes) in data)
                {
                    f.Write(bytes);
                }
            }

            File.WriteAllText(Path.Combine(dir, "big.qmodel.json"), $$"""
{
  "format": "quantgen",
  "version": 1,
  "name": "big",
  "kind": "quantized",
  "weights": "big.safetensors",
  "inputs": [ { "name": "x", "shape": [64], "range": [0.0, 16.0], "type": "int8", "scale": {{D(sIn)}}, "zeroPoint": -128 } ],
  "outputs": ["y"],
  "initializers": {
{{inits}}
  },
  "activations": {
{{acts}}
  },
  "layers": [
{{layers}}
  ]
}
""");
            return new FileInfo(path).Length;
        }

        private static string Repeat(long v, int n) => string.Join(", ", Enumerable.Repeat(v.ToString(CultureInfo.InvariantCulture), n));

        private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        /// <param name="feed">A folder feed with the packed QuantGen packages (PackageReference), or null for project references to this repository.</param>
        private static void WriteProject(string dir, string repo, bool quantgen, string? feed)
        {
            string refs = !quantgen ? string.Empty : feed != null ? """
  <ItemGroup>
    <PackageReference Include="QuantGen.Runtime" Version="0.1.0" />
    <AdditionalFiles Include="big.qmodel.json;big.safetensors" />
  </ItemGroup>

""" : $"""
  <ItemGroup>
    <ProjectReference Include="{repo}/runtime/QuantGen.Runtime/QuantGen.Runtime.csproj" />
    <ProjectReference Include="{repo}/generators/QuantGen.Generators/QuantGen.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
    <AdditionalFiles Include="big.qmodel.json;big.safetensors" />
  </ItemGroup>
  <Import Project="{repo}/generators/QuantGen.Generators/build/QuantGen.Generators.targets" />

""";
            File.WriteAllText(Path.Combine(dir, "Scale.csproj"), $"""
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
{refs}</Project>
""");
            if (feed != null)
            {
                File.WriteAllText(Path.Combine(dir, "NuGet.config"), $"""
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="{feed}" />
  </packageSources>
</configuration>
""");
            }

            File.WriteAllText(Path.Combine(dir, "Program.cs"), quantgen ? """
using System;
using QuantGen;

var y = new sbyte[10];
new Big().Infer(new sbyte[64], y);
Console.WriteLine("ok " + Big.Info.WeightsSha256.Substring(0, 12) + " y0=" + y[0]);

[QuantizedModel("big.qmodel.json")]
public partial class Big { }
""" : """
System.Console.WriteLine("ok (no QuantGen)");
""");
        }

        private static (double Seconds, long PeakKb, double Cpu) Timed(string arguments, string dir, string? packages)
        {
            string output = Run("/usr/bin/time", "-v dotnet " + arguments, dir, packages);
            double seconds = 0, cpu = 0;
            long kb = 0;
            foreach (string line in output.Split('\n'))
            {
                string t = line.Trim();
                if (t.StartsWith("Elapsed (wall clock) time", StringComparison.Ordinal))
                {
                    string v = t.Substring(t.LastIndexOf(": ", StringComparison.Ordinal) + 2);
                    string[] parts = v.Split(':');
                    seconds = parts.Length == 2 ? (int.Parse(parts[0], CultureInfo.InvariantCulture) * 60) + double.Parse(parts[1], CultureInfo.InvariantCulture)
                        : (int.Parse(parts[0], CultureInfo.InvariantCulture) * 3600) + (int.Parse(parts[1], CultureInfo.InvariantCulture) * 60) + double.Parse(parts[2], CultureInfo.InvariantCulture);
                }
                else if (t.StartsWith("User time (seconds)", StringComparison.Ordinal) || t.StartsWith("System time (seconds)", StringComparison.Ordinal))
                {
                    cpu += double.Parse(t.Substring(t.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
                }
                else if (t.StartsWith("Maximum resident set size", StringComparison.Ordinal))
                {
                    kb = long.Parse(t.Substring(t.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
                }
            }

            return (seconds, kb, cpu);
        }

        /// <param name="packages">NUGET_PACKAGES for the run (a fresh folder, so the apps get the packages just packed), or null.</param>
        private static string Run(string file, string arguments, string dir, string? packages)
        {
            var psi = new ProcessStartInfo(file, arguments) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            if (packages != null)
            {
                psi.Environment["NUGET_PACKAGES"] = packages;
            }

            using Process p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string all = o + err.Result;
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {arguments} failed in {dir}:\n{all}");
            }

            return all;
        }
    }
}
