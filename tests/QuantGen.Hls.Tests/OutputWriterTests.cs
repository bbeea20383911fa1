using System.Collections.Generic;
using System.IO;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    public class OutputWriterTests
    {
        private static HlsProject Project(string content) => new HlsProject("m", new SortedDictionary<string, string>(System.StringComparer.Ordinal)
        {
            ["a.txt"] = content,
            ["sub/b.txt"] = "b\n",
        });

        [Fact]
        public void IdenticalProjectIsNotRewrittenChangedOneIsReplacedWhole()
        {
            string dir = Path.Combine(HlsFixture.TempDir("writer"), "m");
            Assert.True(HlsOutputWriter.Write(dir, Project("1\n")));
            System.DateTime stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "a.txt"));
            Assert.False(HlsOutputWriter.Write(dir, Project("1\n")));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "a.txt")));

            File.WriteAllText(Path.Combine(dir, "stray.txt"), "left over\n");
            Assert.True(HlsOutputWriter.Write(dir, Project("2\n")));
            Assert.Equal("2\n", File.ReadAllText(Path.Combine(dir, "a.txt")));
            Assert.False(File.Exists(Path.Combine(dir, "stray.txt")));
            Assert.Equal(new[] { "m" }, System.Array.ConvertAll(Directory.GetFileSystemEntries(Path.GetDirectoryName(dir)!), Path.GetFileName));
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        [Fact]
        public void FailedWriteLeavesNothingHalfWritten()
        {
            string root = HlsFixture.TempDir("writer-fail");
            string blocker = Path.Combine(root, "file");
            File.WriteAllText(blocker, "not a folder\n");
            Assert.Throws<IOException>(() => HlsOutputWriter.Write(Path.Combine(blocker, "m"), Project("1\n")));
            Assert.Equal(new[] { blocker }, Directory.GetFileSystemEntries(root));
            Directory.Delete(root, true);
        }
    }
}
