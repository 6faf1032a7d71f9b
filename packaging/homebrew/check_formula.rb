# Checks the filled formula without Homebrew, which this project's machines
# do not have: a small stand-in for the parts of the formula DSL that
# ssocred.rb uses, written after Homebrew's documented behaviour, then
#   - for each of macOS arm64/x86_64 and Linux x86_64/arm64, the archive URL
#     and sha256 the formula picks, against the release's SHA256SUMS;
#   - `install` run on Linux with the real binary as the unpacked archive,
#     and the files it leaves (binary, helper link, completions, man page);
#   - the formula's own `test do` block against that installation.
# Usage: ruby check_formula.rb FILLED_FORMULA SHA256SUMS VERSION REPO BINARY
# Run by scripts/check-packaging; docs/packages.md.

require "fileutils"
require "pathname"
require "tmpdir"

formula_path, sums_path, expected_version, repository, binary = ARGV
abort "usage: ruby check_formula.rb FORMULA SHA256SUMS VERSION REPO BINARY" unless binary

$failures = 0
def check(ok, what)
  puts "check_formula: #{ok ? "ok" : "FAILED"}: #{what}"
  $failures += 1 unless ok
end

# Homebrew's Pathname additions used by the formula.
class Pathname
  def install(*files)
    mkpath
    files.each { |f| FileUtils.mv(f.to_s, join(File.basename(f.to_s))) }
  end

  def install_symlink(links)
    mkpath
    links.each { |target, name| File.symlink(target.to_s, join(name.to_s)) }
  end

  def write(content)
    raise "Will not overwrite #{self}" if exist?

    dirname.mkpath
    File.write(to_s, content)
  end
end

module Utils
  def self.safe_popen_read(*args)
    out = IO.popen(args.map(&:to_s), &:read)
    raise "#{args.join(" ")} failed" unless $?.success?

    out
  end
end

class Formula
  # The platform the class body is evaluated for: [os, arch].
  PLATFORM = [:linux, :intel]

  class << self
    attr_reader :test_block

    def fields
      @fields ||= {}
    end

    def desc(text)
      fields[:desc] = text
    end

    def homepage(text)
      fields[:homepage] = text
    end

    def version(text = nil)
      fields[:version] = text if text
      fields[:version]
    end

    def license(value)
      fields[:license] = value
    end

    def url(text)
      fields[:url] = text
    end

    def sha256(text)
      fields[:sha256] = text
    end

    def on_macos
      yield if PLATFORM[0] == :macos
    end

    def on_linux
      yield if PLATFORM[0] == :linux
    end

    def on_intel
      yield if PLATFORM[1] == :intel
    end

    def on_arm
      yield if PLATFORM[1] == :arm
    end

    def test(&block)
      @test_block = block
    end
  end

  attr_reader :prefix

  def initialize(prefix)
    @prefix = Pathname(prefix)
  end

  def name = "ssocred"
  def version = self.class.version
  def bin = prefix/"bin"
  def man1 = prefix/"share/man/man1"
  def bash_completion = prefix/"etc/bash_completion.d"
  def zsh_completion = prefix/"share/zsh/site-functions"
  def fish_completion = prefix/"share/fish/vendor_completions.d"

  # As documented: with no shell_parameter_format, the shell's name is the
  # last argument; the scripts are named after the formula.
  def generate_completions_from_executable(*commands, shells: [:bash, :zsh, :fish])
    shells.each do |shell|
      script = Utils.safe_popen_read(*commands, shell.to_s)
      path = { bash: bash_completion/name, zsh: zsh_completion/"_#{name}",
               fish: fish_completion/"#{name}.fish" }.fetch(shell)
      path.write(script)
    end
  end

  def shell_output(command, status = 0)
    out = IO.popen(["sh", "-c", command], &:read)
    raise "#{command}: exit #{$?.exitstatus}, want #{status}" unless $?.exitstatus == status

    out
  end

  def assert_equal(want, got)
    raise "want #{want.inspect}, got #{got.inspect}" unless want == got
  end

  def assert_match(pattern, text)
    raise "#{pattern.inspect} not in #{text.inspect}" unless text.match?(pattern)
  end
end

def load_formula(path, platform)
  Object.send(:remove_const, :Ssocred) if Object.const_defined?(:Ssocred)
  Formula.send(:remove_const, :PLATFORM)
  Formula.const_set(:PLATFORM, platform)
  load path
  Ssocred
end

sums = File.readlines(sums_path).to_h { |line| line.split.reverse }
base = "https://github.com/#{repository}/releases/download/v#{expected_version}"
{
  [:macos, :arm] => "universal-apple-darwin",
  [:macos, :intel] => "universal-apple-darwin",
  [:linux, :intel] => "x86_64-unknown-linux-gnu",
  [:linux, :arm] => "aarch64-unknown-linux-gnu",
}.each do |platform, target|
  archive = "ssocred-#{expected_version}-#{target}.tar.gz"
  fields = load_formula(formula_path, platform).fields
  check(fields[:url] == "#{base}/#{archive}", "#{platform.join("/")}: url #{fields[:url]}")
  check(fields[:sha256] == sums[archive], "#{platform.join("/")}: sha256 of #{archive}")
  check(fields[:version] == expected_version, "#{platform.join("/")}: version #{fields[:version]}")
end

formula_class = load_formula(formula_path, [:linux, :intel])
Dir.mktmpdir do |dir|
  stage = File.join(dir, "stage")
  FileUtils.mkdir_p(stage)
  FileUtils.cp(binary, File.join(stage, "ssocred"))
  formula = formula_class.new(File.join(dir, "prefix"))
  Dir.chdir(stage) { formula.install }

  bin = formula.bin
  check(File.executable?(bin/"ssocred"), "install: bin/ssocred")
  link = bin/"docker-credential-ssocred"
  check(File.symlink?(link) && File.readlink(link) == "ssocred", "install: bin/docker-credential-ssocred -> ssocred")
  check(File.read(formula.bash_completion/"ssocred").include?("_ssocred"), "install: bash completion")
  check(File.read(formula.zsh_completion/"_ssocred").start_with?("#compdef ssocred"), "install: zsh completion")
  check(File.read(formula.fish_completion/"ssocred.fish").include?("complete -c ssocred"), "install: fish completion")
  check(File.read(formula.man1/"ssocred.1").include?("\n.TH ssocred 1 "), "install: man page")
  begin
    formula.instance_exec(&formula_class.test_block)
    check(true, "the formula's test block")
  rescue => e
    check(false, "the formula's test block: #{e.message}")
  end
end

puts "check_formula: #{$failures.zero? ? "all checks passed" : "#{$failures} failed"}"
exit($failures.zero? ? 0 : 1)
