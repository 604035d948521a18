Gem::Specification.new do |s|
  s.name = 'localgem'
  s.version = '0.1.0'
  s.summary = 'a local gem'
  s.authors = ['bollard']
  s.files = ['lib/localgem.rb']
  s.add_dependency 'rack', '>= 2.0'
end
